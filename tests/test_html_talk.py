"""Wiki talk pages: signatures, indentation threading, dates, the adapter hook, and the DiscussionTools check."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html

from pipeline.common.config import HtmlConfig, IngestConfig, TalkConfig
from pipeline.evaluation.talk import Item, evaluate_cases, reference_items, score
from pipeline.ingest.adapters.base import Source
from pipeline.ingest.adapters.html import ADAPTER
from pipeline.ingest.adapters.html_talk import TalkPage, find_talk_page
from pipeline.ingest.adapters.html_talk_signatures import page_title, user_name
from pipeline.ingest.adapters.talk_dates import iso_timestamp, month_names

HTML = Path(__file__).resolve().parent / "fixtures" / "html"


def _talk(name: str, cfg: HtmlConfig | None = None) -> tuple[TalkPage | None, str]:
    text = (HTML / name).read_text(encoding="utf-8")
    root = lxml_html.document_fromstring(text.encode("utf-8"), parser=lxml_html.HTMLParser(encoding="utf-8"))
    return find_talk_page(root, text, cfg or HtmlConfig()), text


def test_german_oldparser_page_sections_nesting_merge_quote_and_unsigned():
    page, text = _talk("talk_de_oldparser.html")
    assert page is not None
    got = [(c.author, c.parent, c.level, c.section) for c in page.comments]
    assert got == [
        ("Anna", None, 1, "Quellen"),  # the unsigned question above it is part of it
        ("Bernd M", 0, 2, "Quellen"),
        ("Anna", 1, 3, "Quellen"),  # two signatures in one list item: one comment, the first time
        ("Carla", 0, 2, "Quellen"),  # red link (index.php?title=Benutzer:Carla)
        ("192.0.2.7", None, 1, "Bilder"),  # Spezial:Beiträge/<IP>
        ("Bernd M", 4, 3, "Bilder"),  # skips level 2; the quoted timestamp is no signature
        (None, 4, 2, "Bilder"),  # unsigned tail of the section
    ]
    assert [c.date for c in page.comments] == [
        "2018-10-03T10:15:00", "2018-10-03T11:02:00", "2018-10-03T12:40:00", "2018-10-04T09:00:00",
        "2018-11-05T08:30:00", "2018-11-05T09:10:00", None]
    assert page.comments[0].date_text == "10:15, 3. Okt. 2018 (CEST)"
    assert page.comments[0].text == "Die Quelle im zweiten Absatz ist veraltet. Gibt es eine neuere?\n\nIch habe schon gesucht."
    assert page.comments[1].text == "Ja, der Jahresbericht 2018."  # "--" and the signature left out
    assert page.comments[2].text == "Danke, eingebaut. Nachtrag: Link geprüft."
    assert page.comments[6].text == "Ich finde das Bild gut so, man erkennt doch alles."
    assert page.lead_text == "Diese Seite dient der Diskussion über den Artikel Beispiel."  # the TOC left out
    assert {"benutzer", "benutzer diskussion"} <= set(page.user_namespaces)
    spans = [text[c.char_start:c.char_end] for c in page.comments]  # type: ignore[index]
    assert spans[0].startswith("<p>Die Quelle") and spans[0].endswith("10:15, 3. Okt. 2018 (CEST)</p>")
    assert spans[1].startswith("<dd>Ja, der") and spans[1].rstrip().endswith("11:02, 3. Okt. 2018 (CEST)")
    assert "<dl>" not in spans[1]  # cut before the nested reply
    assert spans[2].startswith("<dd>Danke") and spans[2].endswith("12:45, 3. Okt. 2018 (CEST)</dd>")
    assert spans[6] == "<dd>Ich finde das Bild gut so, man erkennt doch alles.</dd>"


def test_arabic_parsoid_page_rtl_namespace_and_eastern_arabic_digits():
    page, text = _talk("talk_ar_parsoid.html")
    assert page is not None
    assert [(c.author, c.parent, c.level, c.section) for c in page.comments] == [
        ("سارة", None, 1, "مصادر"),
        ("Omar", 0, 2, "مصادر"),
        ("سارة", 1, 3, "مصادر"),
        ("Omar", None, 1, "صور"),
        (None, 3, 2, "صور"),
    ]
    assert [c.date for c in page.comments] == [
        "2018-10-03T10:15:00", "2018-10-03T11:02:00", "2018-10-03T12:40:00", "2018-11-05T08:30:00", None]
    assert page.comments[0].date_text == "١٠:١٥، ٣ أكتوبر ٢٠١٨ (ت ع م)"
    assert page.comments[0].text == "هل المصدر موثوق؟"
    assert page.comments[4].text == "سأغيرها غدا إن شاء الله، شكرا لكم."
    assert {"مستخدم", "نقاش المستخدم"} <= set(page.user_namespaces)
    assert page.lead_text == "صفحة نقاش المقالة."
    assert text[page.comments[2].char_start:page.comments[2].char_end].startswith("<li>شكرا جزيلا.")  # type: ignore[index]


def test_adapter_rows_for_a_talk_page():
    data = (HTML / "talk_de_oldparser.html").read_bytes()
    parsed = ADAPTER.parse(Source("c", "talk_de_oldparser.html", data), IngestConfig())
    post, *rows = parsed.utterances
    assert (post["kind"], post["depth"], post["text"]) == ("post", 0, "Diese Seite dient der Diskussion über den Artikel Beispiel.")
    local = [(r["utterance_id"].rsplit("/", 1)[-1], r["parent_id"].rsplit("/", 1)[-1], r["depth"], r["author"], r["kind"])
             for r in rows]
    assert local == [("1", "post", 1, "Anna", "comment"), ("2", "1", 2, "Bernd M", "comment"),
                     ("3", "2", 3, "Anna", "comment"), ("4", "1", 2, "Carla", "comment"),
                     ("5", "post", 1, "192.0.2.7", "comment"), ("6", "5", 3, "Bernd M", "comment"),
                     ("7", "5", 2, None, "comment")]
    assert [r["author_evidence"] for r in rows] == ["html:talk-signature"] * 6 + [None]
    assert [r["position"] for r in rows] == list(range(1, 8))
    assert rows[0]["date"] == "2018-10-03T10:15:00" and rows[0]["char_start"] is not None


@pytest.mark.parametrize("name", sorted(p.name for p in HTML.glob("*.html") if not p.name.startswith("talk_")))
def test_blog_fixtures_are_not_talk_pages(name):
    assert _talk(name)[0] is None


def test_disabled_or_too_few_signatures():
    assert _talk("talk_de_oldparser.html", HtmlConfig(talk=TalkConfig(enabled=False)))[0] is None
    assert _talk("talk_de_oldparser.html", HtmlConfig(talk=TalkConfig(min_signatures=8)))[0] is None  # 7 signatures


def test_page_title_and_user_name():
    pats = [__import__("re").compile(p) for p in TalkConfig().title_patterns]
    assert page_title("//pl.wikipedia.org/wiki/Wikipedysta:Stok", pats) == ("Wikipedysta", "Stok")
    assert page_title("./Discussion_utilisateur:Chicraz", pats) == ("Discussion utilisateur", "Chicraz")
    assert page_title("/w/index.php?title=Benutzer:Carla&action=edit&redlink=1", pats) == ("Benutzer", "Carla")
    assert page_title("//ar.wikipedia.org/wiki/%D9%85%D8%B3%D8%AA%D8%AE%D8%AF%D9%85:Omar", pats) == ("مستخدم", "Omar")
    assert page_title("/wiki/Diecezja_legnicka", pats) is None
    assert page_title("https://example.com/blog/post", pats) is None
    ns = frozenset({"user", "user talk"})
    contrib = frozenset({("special", "contributions")})
    assert user_name(("User talk", "alice"), ns, contrib) == "Alice"
    assert user_name(("User", "Alice/sandbox"), ns, contrib) is None
    assert user_name(("Special", "Contributions/bob"), ns, contrib) == "Bob"
    assert user_name(("Spécial", "Contributions/2a02:8109::1"), ns, contrib) == "2A02:8109::1"
    assert user_name(("Template", "Ping"), ns, contrib) is None


def test_timestamps_in_several_languages():
    stamps = ["08:23, 29 wrz 2018 (CEST)", "10:00, 1 paź 2018 (CEST)"]
    assert [iso_timestamp(s, month_names(stamps)) for s in stamps] == ["2018-09-29T08:23:00", "2018-10-01T10:00:00"]
    fr = ["9 octobre 2017 à 14:39 (CEST)", "1 sep 2004 à 15:05 (CEST)"]  # "sep": the one month starting so
    assert [iso_timestamp(s, month_names(fr)) for s in fr] == ["2017-10-09T14:39:00", "2004-09-01T15:05:00"]
    ckb = ["١٤:١٦، ١٦ی تەممووزی ٢٠١٤ (UTC)", "١٢:٣٣، ١٢ی کانوونی یەکەمی ٢٠١٤ (UTC)", "٠٩:٠٠، ١ی ئابی ٢٠١٤ (UTC)"]
    assert [iso_timestamp(s, month_names(ckb)) for s in ckb] == [  # the wiki's spellings, not CLDR's
        "2014-07-16T14:16:00", "2014-12-12T12:33:00", "2014-08-01T09:00:00"]
    assert iso_timestamp("2018年10月5日 (五) 12:34 (UTC)", {}) == "2018-10-05T12:34:00"
    assert iso_timestamp("12:34, 5 Foo 2018 (UTC)", month_names(["12:34, 5 Foo 2018 (UTC)"])) is None


def test_score_alignment_offsets_and_parents():
    t = datetime(2020, 1, 1, 10, 0)
    ref = [Item("A", t, 1, None), Item("B", t.replace(minute=5), 2, 0), Item("C", t.replace(minute=9), 2, 0)]
    local = t.replace(hour=11)  # the wiki's local time is UTC+1
    found = [Item("A", local, 1, None), Item("B", local.replace(minute=5), 2, 0), Item(None, None, 2, 1),
             Item("C", local.replace(minute=9), 3, 2), Item("X", local.replace(minute=30), 1, None)]
    s = score(found, ref)
    assert (s["reference"], s["found"], s["unsigned"], s["matched"]) == (3, 4, 1, 3)
    assert s["recall"] == 1.0 and s["author_accuracy"] == 1.0
    assert s["parent_accuracy"] == round(2 / 3, 4)  # C's found parent is the unsigned comment
    assert s["level_agreement"] == round(2 / 3, 4)
    assert s["false_comments"] == 1 and s["offsets_minutes"] == [60]


def test_reference_items_skip_nested_headings():
    tree = [{"type": "heading", "replies": [
        {"type": "comment", "author": "A", "timestamp": "2020-01-01T10:00:00.000Z", "level": 1, "replies": [
            {"type": "comment", "author": "B", "timestamp": "2020-01-01T10:05:00.000Z", "level": 2, "replies": []}]},
        {"type": "heading", "replies": [
            {"type": "comment", "author": "C", "timestamp": "2020-01-01T11:00:00.000Z", "level": 1, "replies": []}]}]},
        {"type": "heading", "replies": [
            {"type": "comment", "author": "C", "timestamp": "2020-01-01T11:00:00.000Z", "level": 1, "replies": []}]}]
    items = reference_items(tree)
    assert [(i.author, i.level, i.parent) for i in items] == [("A", 1, None), ("B", 2, 0), ("C", 1, None)]


# Measured on these pages (python -m pipeline evaluate talk): every case 1.000 recall, parent accuracy and
# level agreement except fr (parent 0.964, level 0.976: DiscussionTools skips 20 real signatures with
# older date formats, so comments around them differ); floors just below.
_FLOORS = {
    "ar-no-paragraph-oldparser": (0.99, 0.99, 0), "ckb-big-oldparser": (0.99, 0.99, 0),
    "it-unsigned-parsoid": (0.99, 0.99, 0), "en-big-oldparser": (0.99, 0.99, 0),
    "pl-big-oldparser": (0.99, 0.99, 0), "fr-unsigned-parsoid": (0.99, 0.95, 20),
}


@pytest.mark.real
def test_talk_pages_against_discussiontools(real_dir):
    result = evaluate_cases([real_dir / "html_dev" / "talk_pages", real_dir / "threads" / "wikipedia_talk"], IngestConfig())
    assert sorted(result) == sorted(_FLOORS)
    for case, (recall, parent, false) in _FLOORS.items():
        r = result[case]
        assert r["recall"] >= recall, (case, r)
        assert r["author_accuracy"] >= 0.99, (case, r)
        assert r["parent_accuracy"] >= parent, (case, r)
        assert r["level_agreement"] >= parent, (case, r)
        assert r["false_comments"] <= false, (case, r)
