"""The page speaks rules: the address holds the whole rule (the filters and `rule=` beside
them), the active filters bar shows each condition as a chip that removes it and how many live
recordings are hidden, and the filter panel writes all of / none of for a kind of tag, a rating
range with unrated tracks in or out, a range of plays and when a track was last played."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from playwright.sync_api import Page, expect

from browser.harness import UiApp, api_json, open_counted, query_of


def matching(total: int) -> str:
    return f"{total:,} matching track{'' if total == 1 else 's'}"


def rule_of(page: Page) -> Any:
    """The rule the address holds (None when it holds none)."""
    texts = query_of(page).get("rule")
    return json.loads(texts[0]) if texts else None


def total(ui: UiApp, rule: Any = None, **params: Any) -> int:
    if rule is not None:
        params["rule"] = json.dumps(rule)
    return int(api_json(ui, "/api/tracks", limit=1, **params)["total"])


def chips(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("#active-filters .active-chip-text").all_inner_texts()]


def test_the_address_holds_the_whole_rule_and_the_bar_shows_each_condition(
    page: Page, synced_ui: UiApp
) -> None:
    moods = api_json(synced_ui, "/api/library/stats", facets="moods")["moods"]
    genre = api_json(synced_ui, "/api/library/stats")["genres"][0]["name"]
    mood = moods[0]["name"]
    rule = {"all": [{"field": "mood", "op": "none_of", "value": [mood]}]}
    rule["all"].append({"field": "plays", "op": "le", "value": 3})
    open_counted(page, synced_ui, f"/?genre={quote(genre)}&rule={quote(json.dumps(rule))}")
    count = page.locator("#match-count")
    expect(count).to_have_text(matching(total(synced_ui, rule, genre=genre)))
    assert chips(page) == [
        f"Genre is any of {genre}",
        f"Mood is none of {mood}",
        "Plays is at most 3",
    ]

    # The state module gives the whole choice as one rule ("Keep as a living playlist" later).
    whole = page.evaluate("import('/js/state.js').then((m) => m.currentRule())")
    assert whole == {
        "all": [
            {"field": "genre", "op": "any_of", "value": [genre]},
            {"field": "live", "op": "is", "value": False},
            *rule["all"],
        ]
    }

    # Live recordings are hidden by default: the bar says how many, and shows them on demand.
    live = {"all": [*rule["all"], {"field": "live", "op": "is", "value": True}]}
    hidden = total(synced_ui, live, genre=genre, exclude_live="false")
    assert hidden > 0, "the library should have live recordings among these"
    note = page.locator("#active-note")
    expect(note).to_contain_text(f"{hidden} live recording{'s' * (hidden != 1)} hidden.")

    # A reload keeps every condition.
    page.reload()
    expect(count).to_have_text(matching(total(synced_ui, rule, genre=genre)))
    assert chips(page) == [
        f"Genre is any of {genre}",
        f"Mood is none of {mood}",
        "Plays is at most 3",
    ]

    # Removing a chip removes its condition (from the address too); the focus stays in the bar.
    page.get_by_role("button", name=f"Remove “Mood is none of {mood}”").click()
    expect(page.locator("#active-filters .active-chip")).to_have_count(2)
    assert rule_of(page) == {"field": "plays", "op": "le", "value": 3}
    expect(page.get_by_role("button", name="Remove “Plays is at most 3”")).to_be_focused()
    expect(count).to_have_text(matching(total(synced_ui, rule_of(page), genre=genre)))
    page.keyboard.press("Enter")  # the focused chip goes too
    expect(page.locator("#active-filters .active-chip")).to_have_count(1)
    assert rule_of(page) is None
    expect(count).to_have_text(matching(total(synced_ui, genre=genre)))

    page.get_by_role("button", name="Show them").click()
    expect(page).to_have_url(re.compile(r"exclude_live=false"))
    expect(note).to_be_hidden()
    expect(count).to_have_text(matching(total(synced_ui, genre=genre, exclude_live="false")))


def test_a_kind_of_tag_matches_any_all_or_none_of_its_values(page: Page, synced_ui: UiApp) -> None:
    moods = [m["name"] for m in api_json(synced_ui, "/api/library/stats", facets="moods")["moods"]]
    genres = [g["name"] for g in api_json(synced_ui, "/api/library/stats")["genres"]]
    open_counted(page, synced_ui)
    count = page.locator("#match-count")
    page.get_by_role("button", name="Moods").click()
    section = page.locator('[data-facet="moods"]')
    section.locator(f'.chip[data-value="{moods[0]}"]').click()
    section.locator(f'.chip[data-value="{moods[1]}"]').click()
    expect(page).to_have_url(re.compile(r"mood="))
    assert query_of(page)["mood"] == moods[:2]

    # "All of": the chosen values move over, and now every one must apply.
    section.get_by_role("radio", name="All of").check()
    expect(page).to_have_url(re.compile(r"rule="))
    assert "mood" not in query_of(page)
    assert rule_of(page) == {"field": "mood", "op": "all_of", "value": moods[:2]}
    expect(count).to_have_text(matching(total(synced_ui, rule_of(page))))
    expect(page.locator("#active-filters")).to_contain_text(
        f"Mood has all of {moods[0]}, {moods[1]}"
    )

    # "None of": a click leaves a value out; its chip says so.
    section.get_by_role("radio", name="None of").check()
    left_out = section.locator(f'.chip[data-value="{moods[2]}"]')
    left_out.click()
    expect(left_out).to_have_attribute("aria-pressed", "true")
    expect(left_out).to_have_class(re.compile("is-excluded"))
    expect(section.locator(f'.chip[data-value="{moods[0]}"]')).to_have_accessible_name(
        re.compile(r"\(chosen\)$")
    )
    want = {
        "all": [
            {"field": "mood", "op": "all_of", "value": moods[:2]},
            {"field": "mood", "op": "none_of", "value": [moods[2]]},
        ]
    }
    expect(page).to_have_url(re.compile("none_of"))
    assert rule_of(page) == want
    expect(count).to_have_text(matching(total(synced_ui, want)))

    # A kind with a leave-out filter of its own (genres) uses it: the address stays short.
    genre_section = page.locator('[data-facet="genres"]')
    genre_section.get_by_role("radio", name="None of").check()
    genre_section.locator(f'.chip[data-value="{genres[0]}"]').click()
    expect(page).to_have_url(re.compile("exclude_genre="))
    assert query_of(page)["exclude_genre"] == [genres[0]]
    expect(count).to_have_text(matching(total(synced_ui, want, exclude_genre=genres[0])))


def test_rating_range_plays_and_last_played_write_the_rule(page: Page, synced_ui: UiApp) -> None:
    open_counted(page, synced_ui)
    count = page.locator("#match-count")

    page.get_by_role("combobox", name="Rating from").select_option(label="4 stars")
    rated = {
        "any": [
            {"field": "rating", "op": "between", "value": [8, 10]},
            {"field": "rating", "op": "is_empty"},
        ]
    }
    expect(page).to_have_url(re.compile("rule="))
    assert rule_of(page) == rated  # unrated tracks too, until they are left out
    expect(count).to_have_text(matching(total(synced_ui, rated)))
    page.get_by_role("combobox", name="Unrated tracks").select_option(label="Rated only")
    expect(page).to_have_url(re.compile("between"))
    rating = {"field": "rating", "op": "between", "value": [8, 10]}
    expect(count).to_have_text(matching(total(synced_ui, rating)))
    assert rule_of(page) == rating

    plays = page.get_by_role("textbox", name="At least")
    plays.fill("two")
    plays.press("Enter")
    expect(plays).to_have_accessible_description("“two” is not a whole number of plays.")
    assert rule_of(page) == rating
    plays.fill("1")
    plays.press("Enter")
    with_plays = {"all": [rating, {"field": "plays", "op": "ge", "value": 1}]}
    expect(count).to_have_text(matching(total(synced_ui, with_plays)))
    assert rule_of(page) == with_plays

    page.get_by_role("combobox", name="Last played: when").select_option(label="Not in the last")
    days = page.get_by_role("textbox", name="Last played: days")
    expect(days).to_be_focused()
    days.fill("90")
    days.press("Enter")
    last = {"field": "last_played", "op": "not_in_last_days", "value": 90}
    expect(page).to_have_url(re.compile("not_in_last_days"))
    assert rule_of(page) == {"all": [*with_plays["all"], last]}
    expect(count).to_have_text(matching(total(synced_ui, rule_of(page))))
    expect(page.locator("#active-filters")).to_contain_text("Played not in the last 90 days")

    # A reload shows every one of them in its control.
    page.reload()
    expect(page.get_by_role("combobox", name="Rating from")).to_have_value("4")
    expect(page.get_by_role("combobox", name="Unrated tracks")).to_have_value("out")
    expect(page.get_by_role("textbox", name="At least")).to_have_value("1")
    expect(page.get_by_role("combobox", name="Last played: when")).to_have_value("not_in_last_days")
    expect(page.get_by_role("textbox", name="Last played: days")).to_have_value("90")
