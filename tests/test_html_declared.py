"""HTML comments beyond repeated-block cues: declared (microdata/RDFa) comments, quoted attributions, headers
a comment opens with, replies embedded in a comment's box, and the text check of the extraction evaluation."""

from __future__ import annotations

from pipeline.common.config import IngestConfig
from pipeline.evaluation.extraction import score_page
from pipeline.evaluation.textkey import text_key
from pipeline.ingest.adapters.base import Source
from pipeline.ingest.adapters.html import ADAPTER
from pipeline.ingest.adapters.html_blocks import index_page
from pipeline.ingest.adapters.html_model import select
from pipeline.ingest.adapters.html_typed import local_names

ARTICLE = "<article><h1>Social CRM is not a tool</h1><p>{}</p></article>".format(" ".join(["Strategy first."] * 40))


def rows(body: str, cfg: IngestConfig | None = None) -> list[tuple]:
    """(local id, local parent, depth, author, date, text) of every comment row of a page with `body`."""
    page = f"<html><head><title>t</title></head><body>{ARTICLE}{body}</body></html>"
    parsed = ADAPTER.parse(Source("t", "p.html", page.encode("utf-8")), cfg or IngestConfig())
    out = []
    for u in parsed.utterances[1:]:
        out.append((u["utterance_id"].split("/", 2)[-1], (u["parent_id"] or "").split("/", 2)[-1], u["depth"],
                    u["author"], u["date"], u["text"]))
    return out


def test_local_names_of_types_and_properties():
    assert local_names("https://schema.org/Comment") == {"comment"}
    assert local_names("sioc:Post sioct:Comment") == {"post", "comment"}
    assert local_names("dc:date dc:created") == {"date", "created"}
    assert local_names(None) == set()


MICRODATA = """
<section id="comments">
 <div id="c-1" itemscope itemtype="https://schema.org/Comment">
  <div class="top"><span itemprop="author" itemscope itemtype="https://schema.org/Person">
   <img src="a.png" alt=""><span itemprop="name">Ann Lee</span></span>
   <meta itemprop="dateCreated" content="2012-03-04T10:00:00+00:00"><b>March 4</b></div>
  <div itemprop="text"><p>Social CRM starts with the customer.</p></div>
  <div id="c-2" itemscope itemtype="https://schema.org/Comment">
   <span itemprop="author">Bo</span> <time itemprop="dateCreated" datetime="2012-03-05T08:00:00Z">5 March</time>
   <div itemprop="text">It starts with the organisation.</div>
  </div>
 </div>
 <div id="c-3" itemscope itemtype="https://schema.org/Comment">
  <span itemprop="author">Cy</span> <meta itemprop="datePublished" content="2012-03-06">
  <div itemprop="text">Definitions first.</div>
 </div>
</section>
<aside><ul>
 <li class="teaser"><span class="author">Dee</span> <time datetime="2012-01-01">1 Jan</time> <p>Related post one text here.</p></li>
 <li class="teaser"><span class="author">Eve</span> <time datetime="2012-01-02">2 Jan</time> <p>Related post two text here.</p></li>
</ul></aside>
"""


def test_microdata_comments_with_declared_author_date_text_and_nesting():
    assert rows(MICRODATA) == [
        ("c-1", "post", 1, "Ann Lee", "2012-03-04T10:00:00+00:00", "Social CRM starts with the customer."),
        ("c-2", "c-1", 2, "Bo", "2012-03-05T08:00:00+00:00", "It starts with the organisation."),
        ("c-3", "post", 1, "Cy", "2012-03-06", "Definitions first."),
    ]


RDFA = """
<div id="comments">
 <a id="comment-7"></a>
 <article class="comment" typeof="sioc:Post sioct:Comment">
  <header><span property="dc:date dc:created" content="2013-10-18T13:11:26+02:00" rel="sioc:has_creator">
   <span class="username" property="foaf:name">Gerd B</span> am <time datetime="2013-10-18T13:11:26+02:00">18.10.</time>
  </span></header>
  <div class="field"><div property="content:encoded"><p>Marketing owns social media.</p></div></div>
  <ul class="links"><li><a href="/reply/7">Antworten</a></li></ul>
 </article>
 <div class="indented">
  <a id="comment-8"></a>
  <article class="comment" typeof="sioc:Post sioct:Comment">
   <header><span property="dc:date dc:created" content="2013-10-19T09:00:00+02:00" rel="sioc:has_creator">
    <span class="username" property="foaf:name">Hanna</span> am <time datetime="2013-10-19T09:00:00+02:00">19.10.</time>
   </span></header>
   <div class="field"><div property="content:encoded"><p>No, the whole organisation does.</p></div></div>
  </article>
 </div>
 <a id="comment-9"></a>
 <article class="comment" typeof="sioc:Post sioct:Comment">
  <header><span property="dc:date dc:created" content="2013-10-20T10:00:00+02:00" rel="sioc:has_creator">
   <span class="username" property="foaf:name">Ida</span></span></header>
  <div class="field"><div property="content:encoded"><p>Define the terms first.</p></div></div>
 </article>
</div>
"""


def test_rdfa_comments_take_their_declared_fields_and_child_lists():
    assert rows(RDFA) == [
        ("comment-7", "post", 1, "Gerd B", "2013-10-18T13:11:26+02:00", "Marketing owns social media."),
        ("comment-8", "comment-7", 2, "Hanna", "2013-10-19T09:00:00+02:00", "No, the whole organisation does."),
        ("comment-9", "post", 1, "Ida", "2013-10-20T10:00:00+02:00", "Define the terms first."),
    ]


def test_declared_comments_can_be_switched_off():
    # without the declared types the heuristic finders lose c-3, the nesting, c-1's id and date
    off = IngestConfig.model_validate({"html": {"typed_comment_types": []}})
    assert [r[:4] for r in rows(MICRODATA, off)] == [("1", "post", 1, "Ann Lee"), ("c-2", "post", 1, "Bo")]


QUOTES = """
<div class="widget" id="widget-9"><span class="total">3 Comments</span>
<ul class="comments-list">
 <li class="xcomment" id="xc-1"><header><span class="author-name">ann</span> <span class="post-date">17 May 2020 14:17</span></header>
  <div class="body">Buy early, the stock is small.</div></li>
 <li class="xcomment" id="xc-2"><header><span class="author-name">bo</span> <span class="post-date">17 May 2020 15:03</span></header>
  <div class="body"><blockquote><div class="author"><span>ann</span> said:</div>Buy early, the stock is small.</blockquote>
  I waited and it was gone.</div></li>
 <li class="xcomment" id="xc-3"><header><span class="author-name">cy</span> <span class="post-date">17 May 2020 16:08</span></header>
  <div class="body">Same here.</div></li>
</ul></div>
"""


def test_quoted_attribution_is_not_a_comment_author():
    got = rows(QUOTES, IngestConfig.model_validate({"html": {"method": "cues"}}))
    assert [(r[0], r[1], r[2], r[3]) for r in got] == [
        ("xc-1", "post", 1, "ann"), ("xc-2", "post", 1, "bo"), ("xc-3", "post", 1, "cy")]
    assert got[1][5] == "ann said:\n\nBuy early, the stock is small.\n\nI waited and it was gone."


OWNER = """
<div id="comment-text">{}</div>
""".format("".join(f"""
 <ul class="single-post">
  <li class="post-info"><a name="comment-{n}"> </a><span class="floor">#{n}</span>
   <span class="user-name"><a href="http://r{n}.example.org/">Reader {n}</a></span>
   <span class="post-time">on 2013/12/2{n} 10:2{n}</span></li>
  <li class="post-text">Lovely maple leaves, reader {n} says.</li>
  {f'<li class="reply-text">Thanks for visiting, reader {n}!<p><a href="http://owner.example.org/">The Owner</a> on 2014/01/01 20:3{n} replied</p></li>' if n != 2 else ''}
 </ul>""" for n in (1, 2, 3)))


def test_owner_reply_inside_the_reader_box_is_its_reply():
    got = rows(OWNER)
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in got] == [
        ("post", 1, "Reader 1", "2013-12-21T10:21:00", "Lovely maple leaves, reader 1 says."),
        (got[0][0], 2, "The Owner", "2014-01-01T20:31:00", "Thanks for visiting, reader 1!"),
        ("post", 1, "Reader 2", "2013-12-22T10:22:00", "Lovely maple leaves, reader 2 says."),
        ("post", 1, "Reader 3", "2013-12-23T10:23:00", "Lovely maple leaves, reader 3 says."),
        (got[3][0], 2, "The Owner", "2014-01-01T20:33:00", "Thanks for visiting, reader 3!"),
    ]
    off = IngestConfig.model_validate({"html": {"embedded_reply_cues": []}})
    assert [r[3] for r in rows(OWNER, off)] == ["Reader 1", "Reader 2", "Reader 3"]


HEADERS = """
<div class="meta"><span class="author">Post Author</span> <time datetime="2015-03-09">3/09/15</time></div>
{}
""".format("".join(f"""
<article class="reply" id="reply_{n}"><div class="meta"><span class="author">user{n}</span>
 <time datetime="2015-03-0{n}">3/0{n}/15</time></div><div class="txt"><p>Reply number {n} has a body of its own.</p></div></article>
""" for n in (1, 2, 3)))


def test_select_folds_the_header_a_comment_opens_with_and_drops_a_lone_byline():
    from lxml import html as lxml_html

    root = lxml_html.document_fromstring(f"<html><body>{HEADERS}</body></html>")
    pi = index_page(root, IngestConfig().html)
    cands = [i for i, el in enumerate(pi.ix.elements) if el.tag in ("article",) or el.get("class") == "meta"]
    kept = select(pi, cands, [1.0] * len(cands), 0.5)
    assert [pi.ix.elements[i].get("id") for i in kept] == ["reply_1", "reply_2", "reply_3"]


def test_text_accuracy_counts_an_id_match_with_the_wrong_body_as_wrong():
    items = [{"id": "comment-1", "author": "A", "parent": None, "text_key": text_key("Lovely maple leaves here")},
             {"id": "comment-2", "author": "B", "parent": None, "text_key": text_key("Second body")},
             {"id": "comment-3", "author": "C", "parent": None, "text_key": None}]
    utts = [{"utterance_id": "t/p/comment-1", "kind": "comment", "author": "A", "parent_id": "t/p/post",
             "text": "#1"},
            {"utterance_id": "t/p/comment-2", "kind": "comment", "author": "B", "parent_id": "t/p/post",
             "text": "> quoted\nSecond body"},
            {"utterance_id": "t/p/comment-3", "kind": "comment", "author": "C", "parent_id": "t/p/post", "text": ""}]
    got = score_page(utts, {"items": items, "platform_key": "x"})
    assert (got["matched"], got["text_checked"], got["text_ok"]) == (3, 2, 1)


SPIP_LIKE = """
<ul class="comments">{}</ul>
""".format("".join(f"""
 <li class="comment-li"><a id="comment{n}"></a>
  <div class="comment hreview"><p class="meta"><a class="permalink" href="#forum{n}">#</a>
   <time datetime="2019-07-0{n}T06:19:20Z">Le {n} juillet</time><span class="reviewer vcard"><span class="sep">, </span>par <strong class="fn n">{who}</strong></span></p>
   <div class="comment-content">Top comment {n} says the strategy comes first.</div></div>
  <ul class="comments-ul"><li class="comment-li"><a id="comment{n}{n}"></a>
   <div class="comment hreview reply"><p class="meta"><a class="permalink" href="#forum{n}{n}">#</a>
    <time datetime="2019-07-0{n}T18:35:12Z">Le {n} juillet</time><span class="reviewer vcard"><span class="sep">, </span>par <strong class="fn n">Phile</strong></span></p>
    <div class="comment-content">Reply {n}: no, the tools come first.</div></div></li></ul>
 </li>""" for n, who in ((1, "Gérard"), (2, "Horus"))))


def test_a_reply_comment_whose_own_box_says_reply_is_not_split():
    got = rows(SPIP_LIKE)
    assert [(r[0], r[1], r[2], r[3]) for r in got] == [
        ("1", "post", 1, "Gérard"), ("2", "1", 2, "Phile"), ("3", "post", 1, "Horus"), ("4", "3", 2, "Phile")]
    assert got[1][5] == "Reply 1: no, the tools come first."


def test_an_element_holding_the_whole_comment_is_not_an_embedded_reply():
    from lxml import html as lxml_html

    from pipeline.ingest.adapters.html_comments import Found
    from pipeline.ingest.adapters.html_embedded import embedded_replies

    li = lxml_html.fragment_fromstring('<li><div class="comment reply"><p><a href="/u/phile">Phile</a> on 2019-07-02 '
                                       '18:35</p><div>Reply text here.</div></div></li>')
    box = Found(li, None, "comment", "Phile", "x", None, "Reply text here.", None, None, 1)
    assert embedded_replies([box], IngestConfig().html) == [box]
    li.append(lxml_html.fragment_fromstring("<div>The box's own text.</div>"))
    longer = Found(li, None, "comment", "Phile", "x", None, "Reply text here.\n\nThe box's own text.", None, None, 1)
    got = embedded_replies([longer], IngestConfig().html)
    assert [(g.author, g.parent, g.depth, g.text) for g in got] == [
        ("Phile", None, 1, "The box's own text."), ("Phile", 0, 2, "Reply text here.")]


def _kept(body: str, pick) -> list[str]:
    """Ids (or tag.class) of the blocks `select` keeps when every element `pick` accepts scores 1.0."""
    from lxml import html as lxml_html

    root = lxml_html.document_fromstring(f"<html><body>{body}</body></html>")
    pi = index_page(root, IngestConfig().html)
    cands = [i for i, el in enumerate(pi.ix.elements) if pick(el)]
    return [pi.ix.elements[i].get("id") or f"{pi.ix.elements[i].tag}.{pi.ix.elements[i].get('class')}"
            for i in select(pi, cands, [1.0] * len(cands), 0.5)]


NESTED = """<ul class="thread">
 <li class="post" id="p1"><div class="who">guest one</div><span class="date">2 days ago</span>
  <div class="msg">The first comment has its own body text here.</div>
  <ul class="children"><li class="post" id="p2"><a class="author" href="/u/bo">bo</a><span class="date">1 day ago</span>
   <div class="msg">A reply with a body of its own, long enough.</div></li></ul></li>
 <li class="post" id="p3"><a class="author" href="/u/cy">cy</a><span class="date">1 day ago</span>
  <div class="msg">Another top comment with some words in it.</div></li>
</ul>"""


def test_a_child_list_gives_way_to_its_items_and_an_outer_comment_of_the_same_markup_is_kept():
    # the classifier picked the child list instead of the reply, and missed the guest's comment around it
    assert _kept(NESTED, lambda el: (el.tag, el.get("class")) in (("ul", "children"),) or el.get("id") == "p3") == [
        "p1", "p2", "p3"]


FORUM = "".join(f"""<article class="message" id="post-{n}"><div class="user"><a class="username" href="/members/u{n}">u{n}</a>
 <span class="title">Forum regular, member since August 2016, 1,728 posts</span></div>
 <div class="message-main"><time datetime="2018-09-2{n}">2{n} Sep</time> <span class="username">#{n}</span>
  <div class="bbWrapper">Post number {n} of the thread, with its words.</div></div></article>""" for n in (1, 2, 3))


def test_a_part_naming_no_author_is_part_of_the_post_around_it():
    # '#2' in a username-cued element is a post number, not a name
    assert _kept(FORUM, lambda el: el.get("class") in ("message", "message-main")) == ["post-1", "post-2", "post-3"]


def _problems(body: str) -> list[tuple[str, str]]:
    page = f"<html><head><title>t</title></head><body>{ARTICLE}{body}</body></html>"
    parsed = ADAPTER.parse(Source("t", "p.html", page.encode("utf-8")), IngestConfig())
    return [(p["reason"], p["detail"]) for p in parsed.problems]


THREAD = "".join(f"""<li class="comment" id="comment-{n}"><span class="author">user{n}</span>
 <a class="date" href="#comment-{n}"><time datetime="2018-04-2{n}T12:00:00">2{n} April</time></a>
 <div class="text">Comment {n} on this article, with words.</div></li>""" for n in (1, 2, 3, 4))
WIDGET = """<div class="island"><p>Comment of the day</p><ul><li class="comment" id="comment-9"><span class="author">Denis</span>
 <a class="date" href="https://example.org/other-article#comment-9"><time datetime="2018-04-23T18:45:04">23 April</time></a>
 <div class="text">How fast it all develops.</div></li></ul></div>"""


def test_a_comment_of_another_page_in_a_widget_is_left_out_and_said():
    got = rows(f"<ul class='comments'>{THREAD}</ul>{WIDGET}")
    assert [(r[0], r[3]) for r in got] == [("comment-1", "user1"), ("comment-2", "user2"), ("comment-3", "user3"),
                                           ("comment-4", "user4")]
    assert _problems(f"<ul class='comments'>{THREAD}</ul>{WIDGET}") == [(
        "comments-of-other-pages", "p.html: 1 comment(s) whose permalinks all point to another page's thread (a "
        "widget) left out: https://example.org/other-article#comment-9")]


def test_stated_counts_short_forms_and_a_count_equal_to_the_thread():
    from pipeline.ingest.adapters.html_signs import _number

    assert (_number(("25.4k",)), _number(("1.2M",)), _number(("1.234",)), _number((None, "12"))) == (
        25400, 1200000, 1234, 12)
    heading = "<h3>{} comments</h3>"
    assert _problems(heading.format("25.4k") + f"<ul class='comments'>{THREAD}</ul>") == [(
        "comments-suspected-missing", "p.html: page says 25400 comments ('25.4k comments'), 4 extracted")]
    teaser = "<p><a href='https://example.org/other-article#comments'>206 comments</a></p>"
    assert _problems(heading.format(4) + f"<ul class='comments'>{THREAD}</ul>" + teaser) == []
    assert _problems(heading.format(5) + f"<ul class='comments'>{THREAD}</ul>" + teaser) == [(
        "comments-suspected-missing", "p.html: page says 206 comments ('206 comments'), 4 extracted")]


def test_more_buttons_are_not_comments_and_dropping_an_item_reindexes_the_thread():
    from lxml import html as lxml_html

    from pipeline.ingest.adapters.html_comments import Found
    from pipeline.ingest.adapters.html_offpage import controls, without

    el = lxml_html.fragment_fromstring("<div></div>")
    items = [Found(el, None, "comment", "ann", "x", "2018-04-21", "Top comment.", "c1", None, 1),
             Found(el, None, "comment", None, None, None, "+ 7\nweitere Antworten anzeigen", None, 0, 2),
             Found(el, None, "comment", "bo", "x", None, "Show more comments like this, please: I mean it.", "c2", 0, 2),
             Found(el, None, "comment", "cy", "x", None, "A reply to the button?", "c3", 1, 3)]
    assert controls(items, IngestConfig().html) == {1}  # item 2 names its author: a comment about buttons
    kept = without(items, {1})
    assert [(f.dom_id, f.parent, f.depth) for f in kept] == [("c1", None, 1), ("c2", 0, 2), ("c3", None, 1)]


BYLINE = "".join(f"""<article id="comment-{n}" typeof="schema:Comment" class="comment">
 <footer><h6>{who}Di, 2{n}. April 2020 - 16:4{n} <span property="schema:dateCreated" content="2020-04-2{n}T14:40:00+00:00"></span></h6></footer>
 <div property="schema:text"><p>Comment {n} on the interview, with words.</p></div></article>""" for n, who in (
    (1, "Heidemarie Heim | "), (2, "Ernst-Günther Konrad | "), (3, "")))


def test_a_byline_without_an_author_element_gives_the_name_before_the_separator():
    page = f"<html><head><title>t</title></head><body>{ARTICLE}<section id='comments'>{BYLINE}</section></body></html>"
    parsed = ADAPTER.parse(Source("t", "p.html", page.encode("utf-8")), IngestConfig())
    assert [(u["author"], u["author_evidence"], u["date"]) for u in parsed.utterances[1:]] == [
        ("Heidemarie Heim", "html:byline", "2020-04-21T14:40:00+00:00"),
        ("Ernst-Günther Konrad", "html:byline", "2020-04-22T14:40:00+00:00"),
        (None, None, "2020-04-23T14:40:00+00:00")]
