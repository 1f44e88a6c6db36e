// The starting points of a living playlist: rules a person often wants, each one or two clicks
// from a recipe. Their fields and operators are the rule language's (cache/rules.py).

const YEAR = 365;

export const STARTS = [
  {
    id: "forgotten",
    name: "Forgotten favourites",
    text: "Rated 4★ and up, not played for a year.",
    rule: () => ({
      all: [
        { field: "rating", op: "ge", value: 8 },
        { field: "last_played", op: "not_in_last_days", value: YEAR },
      ],
    }),
  },
  {
    id: "never",
    name: "Never played",
    text: "Tracks you have never played.",
    rule: () => ({ field: "plays", op: "is", value: 0 }),
  },
  {
    id: "fresh",
    name: "Fresh this month",
    text: "Added in the last 30 days.",
    rule: () => ({ field: "added", op: "in_last_days", value: 30 }),
  },
  {
    id: "decade",
    name: "Rediscover a decade",
    text: "The tracks of one decade, drawn again after each sync.",
    decade: true,
    rule: (decade) => ({ field: "decade", op: "any_of", value: [decade] }),
  },
];

/** The recipe a starting point makes (the decade's, for "Rediscover a decade"). */
export function startRecipe(start, decade) {
  return {
    name: start.decade ? `Rediscover the ${decade}` : start.name,
    rule: start.rule(decade),
    limit: { tracks: 50 },
    sort: "random",
    favour_rating: start.id !== "never",
    refresh: "after_sync",
    mode: start.id === "fresh" ? "update" : "redraw",
  };
}
