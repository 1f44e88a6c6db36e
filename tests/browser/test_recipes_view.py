"""Living playlists in the page: "Keep as a living playlist" keeps the page's whole choice with
the builder's options, the Recipes view shows each recipe and its history, refreshes one by hand
and says the result, edits it, and asks before deleting (its Plex playlist too, if told); the
starting points make a recipe in two clicks; the rule editor builds a nested rule with the
keyboard alone, says it as a sentence and applies it to the list."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from playwright.sync_api import Page, expect

from browser.harness import UiApp, api_json, open_counted, query_of
from plexcrate.simulator import SimLibrary


def total(ui: UiApp, rule: Any = None, **params: Any) -> int:
    if rule is not None:
        params["rule"] = json.dumps(rule)
    return int(api_json(ui, "/api/tracks", limit=1, **params)["total"])


def recipes(ui: UiApp) -> list[dict[str, Any]]:
    return list(api_json(ui, "/api/recipes")["recipes"])


def deletes(ui: UiApp) -> list[str]:
    return [path for method, path, _ in ui.traffic.writes if method == "DELETE"]


def test_keep_the_filters_then_refresh_see_the_history_edit_and_delete(
    page: Page, synced_ui: UiApp, sim_library: SimLibrary
) -> None:
    genre = api_json(synced_ui, "/api/library/stats")["genres"][0]["name"]
    rule = {"field": "plays", "op": "le", "value": 50}
    open_counted(page, synced_ui, f"/?genre={quote(genre)}&rule={quote(json.dumps(rule))}")
    whole = page.evaluate("import('/js/state.js').then((m) => m.currentRule())")
    assert total(synced_ui, whole, exclude_live="false") >= 12, "the test needs enough tracks"

    # The builder's options come along: 7 tracks, at most 3 per artist.
    page.get_by_role("button", name="Build playlist").click()
    builder = page.get_by_role("dialog", name="Build a playlist")
    builder.get_by_role("textbox", name="Number of tracks").fill("7")
    builder.locator("#cap-artists").check()
    builder.get_by_role("textbox", name="Tracks per artist, at most").fill("3")
    builder.get_by_role("button", name="Keep as a living playlist").click()

    dialog = page.get_by_role("dialog", name="Keep as a living playlist")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("textbox", name="Name")).to_be_focused()
    expect(dialog.get_by_role("spinbutton", name="Number of tracks")).to_have_value("7")
    expect(dialog.locator("#recipe-rule")).to_contain_text(f"Genre is any of {genre}")
    dialog.get_by_role("textbox", name="Name").fill("Rotation")
    dialog.get_by_role("combobox", name="Refresh").select_option(label="By hand")
    dialog.get_by_role("button", name="Keep as a living playlist").click()
    done = page.locator("#recipe-done-text")
    expect(done).to_have_text(re.compile(r"^“Rotation” is in Plex now: 7 tracks, "))

    [made] = recipes(synced_ui)
    assert made["rule"] == whole
    assert made["limit"] == {"tracks": 7}
    assert made["max_per_artist"] == 3
    assert made["refresh"] == "manual"
    assert len(sim_library.playlists[made["playlist_id"]].item_keys) == 7

    # Where it is: the Recipes view, the filters kept in the address.
    page.get_by_role("link", name="See it in Recipes").click()
    expect(page).to_have_url(re.compile(r"/recipes\?"))
    assert query_of(page)["genre"] == [genre]
    card = page.locator(f'.recipe[data-recipe="{made["id"]}"]')
    expect(card.get_by_role("heading", name="Rotation")).to_be_visible()
    expect(card.locator(".recipe-playlist")).to_contain_text("· 7 tracks ·")
    expect(card.locator(".recipe-facts")).to_contain_text("By hand")

    # Edit: 10 tracks from now on (the next refresh draws by it).
    card.get_by_role("button", name="Edit").click()
    edit = page.get_by_role("dialog", name="Edit “Rotation”")
    edit.get_by_role("spinbutton", name="Number of tracks").fill("10")
    edit.get_by_role("button", name="Save changes").click()
    expect(edit).to_be_hidden()
    expect(card.get_by_role("status")).to_have_text("Saved.")
    assert recipes(synced_ui)[0]["limit"] == {"tracks": 10}

    # Refresh now: the result is said once the card shows the new count, buttons enabled.
    card.get_by_role("button", name="Refresh now").click()
    expect(card.get_by_role("status")).to_have_text("Refreshed: +3 −0, 7 kept.")
    expect(card.locator(".recipe-playlist")).to_contain_text("· 10 tracks ·")
    expect(card.get_by_role("button", name="Refresh now")).to_be_enabled()
    assert len(sim_library.playlists[made["playlist_id"]].item_keys) == 10

    # The history, newest first.
    card.get_by_role("button", name="History").click()
    entries = card.locator(".history-entry")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_contain_text("By hand")
    expect(entries.nth(0)).to_contain_text("+3 −0, 7 kept")
    expect(entries.nth(1)).to_contain_text("Made")
    expect(entries.nth(1)).to_contain_text("+7 −0, 0 kept")

    # Delete asks first; Cancel sends nothing and gives the focus back.
    card.get_by_role("button", name="Delete").click()
    question = card.get_by_role("group", name=re.compile("^Delete the living playlist"))
    expect(question).to_be_visible()
    question.get_by_role("button", name="Cancel").click()
    expect(question).to_be_hidden()
    expect(card.get_by_role("button", name="Delete")).to_be_focused()
    assert not deletes(synced_ui)

    card.get_by_role("button", name="Delete").click()
    question.get_by_role("checkbox", name="Also delete the playlist in Plex").check()
    question.get_by_role("button", name="Delete").click()
    expect(page.locator(".recipes-empty")).to_contain_text("No living playlists yet.")
    assert deletes(synced_ui) == [f"/api/recipes/{made['id']}"]
    assert recipes(synced_ui) == []
    assert made["playlist_id"] not in sim_library.playlists


def test_a_starting_point_makes_a_recipe_in_two_clicks(page: Page, synced_ui: UiApp) -> None:
    page.goto(synced_ui.url + "/recipes")
    expect(page.locator(".recipes-empty")).to_be_visible()
    decades = [d["name"] for d in api_json(synced_ui, "/api/library/stats")["decades"]]
    decade = decades[0]

    start = page.locator(".start", has_text="Rediscover a decade")
    start.get_by_role("combobox", name="Decade").select_option(decade)
    start.get_by_role("button", name="Make it").click()
    dialog = page.get_by_role("dialog", name=f"Rediscover the {decade}")
    expect(dialog.get_by_role("textbox", name="Name")).to_have_value(f"Rediscover the {decade}")
    dialog.get_by_role("button", name="Keep as a living playlist").click()
    expect(page.locator("#recipe-done-text")).to_contain_text("is in Plex now")
    page.get_by_role("button", name="Done").click()

    [made] = recipes(synced_ui)
    expected = {"field": "decade", "op": "any_of", "value": [decade]}
    assert made["rule"] == expected
    assert made["track_count"] == min(50, total(synced_ui, expected, exclude_live="false"))
    card = page.locator(f'.recipe[data-recipe="{made["id"]}"]')
    expect(card.locator(".recipe-rule-text")).to_have_text(f"Decade is any of {decade}")
    expect(card.locator(".recipe-playlist")).to_contain_text(f"· {made['track_count']} tracks ·")


def test_the_rule_editor_builds_a_nested_rule_with_the_keyboard(
    page: Page, synced_ui: UiApp
) -> None:
    genre = api_json(synced_ui, "/api/library/stats")["genres"][0]["name"]
    open_counted(page, synced_ui, f"/?genre={quote(genre)}")
    page.locator("#edit-rule").focus()
    page.keyboard.press("Enter")
    editor = page.get_by_role("dialog", name="Edit as a rule")
    sentence = editor.locator("#rule-sentence")
    expect(sentence).to_have_text(f"Genre is any of {genre}.")
    expect(editor.get_by_role("combobox", name="Tracks match")).to_be_focused()

    # Across the condition to "+ Group"; Enter adds a group, its kind takes the focus.
    for name in ("Field", "Operator"):
        page.keyboard.press("Tab")
        expect(editor.get_by_role("combobox", name=name)).to_be_focused()
    page.keyboard.press("Tab")
    expect(editor.get_by_role("textbox", name="Values, separated by commas")).to_be_focused()
    page.keyboard.press("Tab")
    expect(editor.get_by_role("button", name="Remove this condition")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(editor.get_by_role("button", name="+ Group")).to_be_focused()
    page.keyboard.press("Enter")
    group = editor.get_by_role("group", name="A group of conditions")
    kind = group.get_by_role("combobox", name="This group matches")
    expect(kind).to_be_focused()
    page.keyboard.press("ArrowDown")  # any of → none of
    expect(kind).to_have_value("none")

    # Its condition: rating is at most 2★.
    page.keyboard.press("Tab")
    expect(group.get_by_role("button", name="Remove group")).to_be_focused()
    page.keyboard.press("Tab")
    field = group.get_by_role("combobox", name="Field")
    expect(field).to_be_focused()
    page.keyboard.type("ra")
    expect(field).to_have_value("rating")
    expect(field).to_be_focused()
    page.keyboard.press("Tab")
    op = group.get_by_role("combobox", name="Operator")
    expect(op).to_be_focused()
    for _ in range(3):  # is → is not → less than → at most
        page.keyboard.press("ArrowDown")
    expect(op).to_have_value("le")
    page.keyboard.press("Tab")
    stars = group.get_by_role("combobox", name="Rating")
    expect(stars).to_be_focused()
    for _ in range(3):  # ½★ → 2★
        page.keyboard.press("ArrowDown")
    expect(stars).to_have_value("4")
    expect(sentence).to_have_text(f"Genre is any of {genre} and not (rating is at most 2★).")

    # A condition added in the group and removed again: the focus goes to its neighbour.
    page.keyboard.press("Tab")  # its remove button
    page.keyboard.press("Tab")
    expect(group.get_by_role("button", name="+ Condition")).to_be_focused()
    page.keyboard.press("Enter")
    expect(group.get_by_role("combobox", name="Field").nth(1)).to_be_focused()
    expect(group.locator(".rule-condition")).to_have_count(2)
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(group.get_by_role("button", name="Remove this condition").nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    expect(group.locator(".rule-condition")).to_have_count(1)
    expect(group.get_by_role("combobox", name="Field")).to_be_focused()

    expected = {
        "all": [
            {"field": "genre", "op": "any_of", "value": [genre]},
            {"not": {"field": "rating", "op": "le", "value": 4}},
        ]
    }
    count = total(synced_ui, expected)
    expect(editor.locator("#rule-status")).to_have_text(
        f"{count} track{'s' * (count != 1)} match (live recordings left out)."
    )

    # Applied, the address holds the rule, and the list counts what the API counts.
    editor.get_by_role("button", name="Apply to the list").focus()
    page.keyboard.press("Enter")
    expect(editor).to_be_hidden()
    expect(page).to_have_url(re.compile(r"rule="))
    assert json.loads(query_of(page)["rule"][0]) == expected
    assert "genre" not in query_of(page)
    expect(page.locator("#match-count")).to_have_text(
        f"{count:,} matching track{'s' * (count != 1)}"
    )


def test_the_rule_editor_shows_the_server_s_message_and_applies_nothing(
    page: Page, synced_ui: UiApp
) -> None:
    open_counted(page, synced_ui, "/?min_rating=6")
    before = page.url
    page.locator("#edit-rule").click()
    editor = page.get_by_role("dialog", name="Edit as a rule")
    editor.get_by_role("button", name="+ Condition").last.click()  # a genre with no value
    expect(editor.get_by_role("alert")).to_contain_text("must not be empty")
    editor.get_by_role("button", name="Apply to the list").click()
    expect(editor.get_by_role("alert")).to_contain_text("must not be empty")
    expect(editor).to_be_visible()
    assert page.url == before
