"""Build evaluation/html_dev_expected.yaml: per-comment expected items of the html_dev pages, read off the markup.

Standalone on purpose (lxml only, no import of the project's `pipeline` package), so the expectations do not
share code or assumptions with the extractor they check. Each HTML page has one small spec below (XPath for the
comment item and, relative to it, its id, author, date, body and how its parent is given); the Wikipedia talk
pages are converted from the DiscussionTools parser's own comment tree (<case>.json), with the comment text read
from the HTML through the tree's DOM ranges.

    python evaluation/build_expected.py --pages <html_dev folder> --talk <threads/wikipedia_talk folder> \
        --out evaluation/html_dev_expected.yaml
    python evaluation/build_expected.py --pages <html_dev folder> --talk <...> --check
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree, html

TEXT_CHARS = 60
KEY_CHARS = 30  # the stored key's prefix: the same contract as pipeline/evaluation/textkey.py (a test checks)
SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "title", "meta", "link"}
BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}


def C(name: str) -> str:
    """XPath predicate body: the element has the CSS class `name`."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# ---------------------------------------------------------------------------------------------------------------
# Per-page specs. Field XPaths are relative to the item and return nodes (elements or attributes); only nodes that
# belong to the item itself count (nodes inside a nested item are ignored), so `.//` is safe in nested threads.
#   kinds:   one or more item kinds; items of all kinds are merged in document order
#     item:    absolute XPath of the items of this kind
#     id / author / date / num: node XPaths (first own non-empty node wins; a list = alternatives in order)
#     author_re / date_re / num_re: regex whose group 1 is kept
#     body:    node XPath of the body element(s); `drop`: XPath (relative to the body) of parts not shown as text
#     quote:   XPath (relative to the body) of quoted posts; text_own = the text without them, where it differs
#     parent:  ("dom", xpath to the parent item element) | ("level", xpath of a level number, level of top-level)
#              | ("pid", xpath of the parent's key, xpath of the item's own key, values meaning "top-level")
#              | ("none",)
#     check_parent: ("pid", ...) a second, independent cue for the parent; the build fails if the two disagree
#     flags:   {flag: boolean XPath}
# ---------------------------------------------------------------------------------------------------------------

QUOTE_VB = f".//div[{C('bbcode_container')}]"

SPECS: dict[str, dict[str, Any]] = {
    "derpapierplanet_through-the-booking-glass-juni_blogger.html": {
        "platform": "Blogger, custom domain, threaded comments (German)",
        "platform_key": "blogger", "family": "blogger",
        "kinds": [{
            "item": f"//*[@id='comments']//li[{C('comment')}]",
            "id": "@id", "author": f".//cite[{C('user')}]", "date": f".//span[{C('datetime')}]",
            "body": f".//p[{C('comment-content')}]",
            "parent": ("dom", f"ancestor::li[{C('comment')}][1]"),
        }],
        "readme": {"comments": 13, "replies": 9},
        "note": "li.comment in #comments; a reply is an li.comment inside its parent's div.comment-replies; date as "
                "shown (the permalink's showComment= epoch is the only machine date)",
    },
    "hpd_identitaetspolitische-linke_drupal7.html": {
        "platform": "Drupal 7 (German news service)",
        "platform_key": "drupal", "family": "drupal",
        "kinds": [{
            "item": f"//section[@id='comments']//article[{C('comment')}]",
            "id": "preceding-sibling::*[1][self::a][starts-with(@id, 'comment-')]/@id",
            "author": f".//span[{C('username')}]", "date": ".//time/@datetime",
            "body": f".//div[{C('field-name-comment-body')}]",
            "parent": ("dom", f"parent::div[{C('indented')}]/preceding-sibling::article[{C('comment')}][1]"),
            "check_parent": ("pid", ".//span[@rel='sioc:reply_of'][starts-with(@resource, '/comment/')]/@resource",
                             "preceding-sibling::*[1][self::a]/@id", ()),
        }],
        "readme": {"comments": 10, "replies": 5, "depths": {1: 5, 2: 2, 3: 2, 4: 1}},
        "note": "article.comment, id on the a#comment-N just before it; a reply sits in the div.indented that "
                "follows its parent; cross-checked against span[rel=sioc:reply_of] resource=/comment/N",
    },
    "cicero_corona-pandemie-sterben_drupal8.html": {
        "platform": "Drupal 8 (German magazine)",
        "platform_key": "drupal", "family": "drupal",
        "kinds": [{
            "item": f"//article[{C('js-comment')}][{C('comment')}]",
            "id": "@id", "author": "footer/h6", "author_re": r"^(.*?)\s*\|",
            "date": ".//span[@property='schema:dateCreated']/@content",
            "body": "(.//div[@property='schema:text'])",
            "parent": ("dom", f"(ancestor::div[{C('indented')}][1]/preceding-sibling::*[1]"
                             f"/descendant-or-self::article[{C('js-comment')}])[1]"),
            "check_parent": ("pid", "footer/p[contains(., 'In reply to')]/a/@href", "@id", ()),
        }],
        "readme": {"comments": 8, "replies": 1},
        "note": "article.js-comment#comment-N; the one reply is in a div.indented after its parent (and says 'In "
                "reply to'); text = div[property=schema:text] (the comment's subject line, a first "
                "div.field--name-comment-body with a permalink, is a title, not body)",
    },
    "la-bas_didier-porte-balkany_spip.html": {
        "platform": "SPIP 3.2.5 (French)",
        "platform_key": "spip", "family": "spip",
        "kinds": [{
            "item": f"//li[{C('comment-item')}]",
            "id": "a[starts-with(@id, 'comment')]/@id", "author": f".//span[{C('reviewer')}]",
            "author_re": r"par\s+(.*)$", "date": ".//time/@datetime",
            "body": f".//div[{C('comment-texte')}]",
            "parent": ("dom", f"ancestor::li[{C('comment-item')}][1]"),
            "check_parent": ("pid", f".//a[{C('in-reply-to')}]/@href", "a[starts-with(@id, 'forum')]/@id", ()),
        }],
        "readme": {"comments": 15, "replies": 4},
        "note": "li.comment-item; replies in a nested ul.comments-items, cross-checked against a.in-reply-to "
                "(#forumN); author = span.reviewer without ', par'",
    },
    "german-stackexchange_wurde-versus-war_stackexchange.html": {
        "platform": "Stack Exchange Q&A (German Language)",
        "platform_key": "stackexchange", "family": "stackexchange",
        "kinds": [
            {
                "kind": "answer",
                "item": f"//div[{C('answer')}][starts-with(@id, 'answer-')]",
                "id": "@id",
                "author": f".//div[{C('post-signature')}][.//div[{C('user-action-time')}]"
                          f"[contains(., 'answered')]]//div[{C('user-details')}]/a",
                "date": f".//div[{C('user-action-time')}][contains(., 'answered')]/span/@title",
                "body": ".//div[@itemprop='text']",
                "parent": ("none",),
            },
            {
                "kind": "comment",
                "item": f"//li[{C('comment')}][starts-with(@id, 'comment-')]",
                "id": "@id", "author": f".//a[{C('comment-user')}]",
                "date": f".//span[{C('comment-date')}]/span/@title", "date_re": r"^([^,]+)",
                "body": f".//span[{C('comment-copy')}]",
                "parent": ("dom", f"ancestor::div[{C('answer')}][starts-with(@id, 'answer-')][1]"),
            },
        ],
        "author_alt": {"Earthliŋ": "EarthliÅ\u008b"},
        "author_fix": {"EarthliÅ\u008b": "Earthliŋ"},
        "readme": {"comments": 20, "replies": 12, "depths": {1: 8, 2: 12}},
        "note": "question = the post (not an item); answers div.answer are top-level; li.comment under the "
                "question are top-level (they answer the post), li.comment under an answer are that answer's "
                "replies; the answer signature spells user Earthliŋ as mojibake 'EarthliÅ\\u008b' "
                "(&#197;&#139; in the source) while the comment links spell it right: author = Earthliŋ, "
                "author_alt = the mojibake",
    },
    "pocketpc_wp7-vorbereitungsupdate-seite34_vbulletin4.html": {
        "platform": "vBulletin 4 forum, page 34 of a thread (German)",
        "platform_key": "vbulletin", "family": "vbulletin",
        "kinds": [{
            "item": f"//li[{C('postcontainer')}][starts-with(@id, 'post_')]",
            "id": "@id", "author": f".//a[{C('username')}]",
            "date": f".//dl[{C('userstats')}]/dd[1]", "num": f".//a[{C('postcounter')}]", "num_re": r"#(\d+)",
            "body": f".//blockquote[{C('postcontent')}]", "quote": QUOTE_VB,
            "parent": ("none",),
        }],
        "readme": {"comments": 20, "replies": 0},
        "note": "li.postcontainer #661-#680, flat (no opening post on page 34); quotes 'Zitat von X' inside "
                "bodies are not replies (text_own = text without the quote box); trap: sidebar "
                "li.widget_post_bit (10 recent posts of other threads) is not an item",
    },
    "katzen-forum_pepe-dreck-im-fell_xenforo2.html": {
        "platform": "XenForo 2 forum (German)",
        "platform_key": "xenforo", "family": "xenforo",
        "kinds": [{
            "item": f"//article[{C('message--post')}]",
            "id": "@id", "author": "@data-author", "date": f".//header[{C('message-attribution')}]//time/@datetime",
            "num": f".//ul[{C('message-attribution-opposite')}]//li[last()]", "num_re": r"#(\d+)",
            "body": f".//div[{C('bbWrapper')}]", "quote": f".//blockquote[{C('bbCodeBlock--quote')}]",
            "parent": ("none",),
            "flags": {"opening_post": "normalize-space(.//ul[contains(@class, 'message-attribution-opposite')]"
                                      "//li[last()]) = '#1'"},
        }],
        "readme": {"comments": 18, "replies": 0},
        "note": "article.message--post #1-#18, flat; #1 is the thread's opening post, kept as a top-level item "
                "(flag opening_post) because the page shows it in the same post list with the same markup as "
                "the others; quotes 'X hat gesagt.:' are not replies",
    },
    "wolfsrebellen-netz_forenregeln_forumotion.html": {
        "platform": "Forumotion (phpBB-style hosted forum, forumieren.com)",
        "platform_key": "forumotion", "family": "forumotion",
        "kinds": [{
            "item": f"//div[{C('post')}][starts-with(@id, 'p')][not(@id = 'p0')]",
            "id": "@id", "author": f".//div[{C('popmenubutton')}]/a",
            "date": f".//p[{C('author')}]", "date_re": r"\bam\s+(.+)$",
            "num": f".//ul[{C('post-info')}]/li[contains(., 'Beitrag')]", "num_re": r"#(\d+)",
            "body": f".//div[{C('post-entry')}]",
            "parent": ("none",),
            "flags": {"opening_post": "contains(.//ul[contains(@class, 'post-info')], 'Beitrag #1')"},
        }],
        "readme": {"comments": 3, "replies": 0},
        "note": "div.post (post--7, post--655, post--702), flat, all by lupa; #1 is the opening post, kept as an "
                "item (flag opening_post), as on the XenForo page; trap: div.post.post--0 'Gesponserte Inhalte' "
                "is an ad, never an item",
    },
    "lozga-livejournal_kosmicheskiy-realizm_livejournal.html": {
        "platform": "LiveJournal, 2018 comment layout (Russian)",
        "platform_key": "livejournal", "family": "livejournal",
        "kinds": [{
            "item": f"//article[{C('mdspost-comment')}][not({C('mdspost-comment--seemore')})]",
            "id": "@id", "author": f".//a[{C('i-ljuser-username')}]",
            "date": [f".//a[{C('mdspost-comment-time--ctime')}]", f".//time[{C('mdspost-comment-time')}]"],
            "body": f".//div[{C('mdspost-comment__body')}]",
            "parent": ("level", "ancestor::div[contains(@class, 'mdspost-thread--level-')][1]/@class", 1,
                       r"mdspost-thread--level-(\d+)"),
            "flags": {"collapsed": C("mdspost-comment--collapsed")},
        }],
        "stated": {"xpath": "//span[@title='Comments']/following-sibling::span[1]", "re": r"(\d+)"},
        "evidence": [("comments button: {}", "//span[@title='Comments']/following-sibling::span[1]"),
                     f"//article[{C('mdspost-comment--seemore')}]//a[{C('mdspost-comment-seemore__more')}]",
                     ("link rel=next: {}", "//link[@rel='next'][contains(@href, 'page=2')]/@href")],
        "readme": {"comments": 89, "replies": 74, "depths": {1: 15, 2: 22, 3: 20, 4: 13, 5: 9, 6: 6, 7: 3, 8: 1}},
        "note": "article.mdspost-comment, DOM flat, level N from the enclosing div.mdspost-thread--level-N, parent = "
                "the nearest earlier item one level up; collapsed comments (author and relative time, no body) "
                "ARE items: text '' and flag collapsed, date = the relative time shown; the 2 "
                "mdspost-comment--seemore stubs ('28 more comments', '15 more comments') are not; the post's "
                "comment button says 226 and the comments have a page 2",
    },
    "android-mobile-review_huawei-chips_disqus-embed.html": {
        "platform": "Disqus embed iframe, rendered (forum androidmr, Russian)",
        "platform_key": "disqus", "family": "disqus",
        "kinds": [{
            "item": f"//li[{C('post')}][starts-with(@id, 'post-')]",
            "id": "@id", "author": f".//span[{C('author')}]", "date": f".//a[{C('time-ago')}]/@title",
            "body": f".//div[{C('post-message')}]",
            "parent": ("dom", f"ancestor::li[{C('post')}][starts-with(@id, 'post-')][1]"),
        }],
        "stated": {"xpath": f"//span[{C('comment-count')}]", "re": r"(\d+)"},
        "evidence": [f"//span[{C('comment-count')}]", f"//div[{C('load-more')}]/a"],
        "readme": {"comments": 50, "replies": 35, "depths": {1: 15, 2: 18, 3: 12, 4: 3, 5: 2}},
        "note": "li.post nested in ul.children; header '75 комментариев' and a 'load more' button: 50 of 75 are "
                "rendered",
    },
    "spotim_conversation-23418430_spotim-embed.html": {
        "platform": "Spot.IM / OpenWeb conversation iframe (English)",
        "platform_key": "spotim", "family": "spotim",
        "kinds": [{
            "item": f"//div[{C('sppre_message-view')}]",
            "id": "@data-message-id", "author": f".//div[{C('sppre_user-link')}]/span[{C('sppre_username')}]",
            "date": ".//span[@data-spot-im-class='message-timestamp']",
            "body": ".//div[@data-spot-im-class='message-text']",
            "parent": ("level", "@data-message-depth", 0, None),
            "check_parent": ("pid", f".//div[{C('sppre_reply-to')}]/span[{C('sppre_username')}]",
                             f".//div[{C('sppre_user-link')}]/span[{C('sppre_username')}]", ()),
        }],
        "stated": {"xpath": f"//div[{C('sppre_conversation-header')}]", "re": r"\((\d+)\)"},
        "evidence": [f"//div[{C('sppre_conversation-header')}]", f"//*[{C('sppre_show-more-replies')}]",
                     "//*[@data-spot-im-class='load-more-messages']"],
        "readme": {"comments": 12, "replies": 9, "depths": {1: 3, 2: 3, 3: 3, 4: 3}},
        "note": "div.sppre_message-view, DOM flat, depth in data-message-depth, parent = nearest earlier item one "
                "level up (agrees with the 'reply to' name in div.sppre_reply-to for all 9 replies); dates "
                "relative ('15h'); header 'Conversation (647)', 3 'Show N more replies' and 'Show More Comments'",
    },
    "launchpad_bug566075-linphone-password_launchpad.html": {
        "platform": "Launchpad bug tracker",
        "platform_key": "launchpad", "family": "launchpad",
        "kinds": [{
            "item": f"//div[{C('boardComment')}][.//div[{C('comment-text')}]]",
            "id": None, "author": f".//div[{C('boardCommentDetails')}]//a[{C('sprite')}]",
            "author_re": r"^(.*?)\s*\([^()]*\)$",
            "date": ".//time[@itemprop='commentTime']/@datetime",
            "num": f".//td[{C('bug-comment-index')}]/a", "num_re": r"#(\d+)",
            "body": f".//div[{C('comment-text')}]", "parent": ("none",),
            "flags": {"bot": "contains(.//a[contains(@class, 'sprite')]/@href, '~janitor')"},
        }],
        "author_alt_re": (f".//div[{C('boardCommentDetails')}]//a[{C('sprite')}]", None),
        "readme": {"comments": 9, "replies": 0},
        "note": "div.boardComment with a div.comment-text, numbered #1-#9 (num), no DOM id; flat; the bug "
                "description is the post; author = display name, author_alt = the link text 'Name (login)'; #3 "
                "is Launchpad Janitor's automatic 'Status changed' comment: a numbered comment with text, kept "
                "(flag bot); trap: 6 more div.boardComment are status-change activity without text, never items",
    },
    "habr_letsencrypt-wildcard-cloudflare_habr.html": {
        "platform": "Habr (Russian tech community)",
        "platform_key": "habr", "family": "habr",
        "kinds": [{
            "item": f"//li[{C('content-list__item_comment')}]",
            "id": f"div[{C('comment')}]/@id", "author": f".//span[{C('user-info__nickname')}]",
            "date": f".//time[{C('comment__date-time')}]", "body": f".//div[{C('comment__message')}]",
            "parent": ("dom", f"ancestor::li[{C('content-list__item_comment')}][1]"),
            "check_parent": ("pid", f"span[{C('parent_id')}]/@data-parent_id", "@rel", ("0",)),
        }],
        "readme": {"comments": 11, "replies": 6, "depths": {1: 5, 2: 4, 3: 1, 4: 1}},
        "note": "li.content-list__item_comment nested in child lists, cross-checked against "
                "span.parent_id[data-parent_id] (0 = top-level); date text only; #comments_count = 11",
    },
    "vc_finland-basic-income_osnova.html": {
        "platform": "Osnova (vc.ru, Russian)",
        "platform_key": "osnova", "family": "osnova",
        "kinds": [{
            "item": f"//div[{C('comments__item')}][@data-id]",
            "id": "@data-id", "author": f".//p[{C('comments__item__user__name')}]",
            "date": f".//a[{C('comments__item__date')}]//time/@title", "date_re": r"^(\S+ \S+)",
            "body": f".//div[{C('comments__item__text')}]",
            "parent": ("dom", f"ancestor::div[{C('comments__item')}][@data-id][1]"),
            "flags": {"media_only": f"not(normalize-space((.//div[{C('comments__item__text')}])[1])) and "
                                    f"(.//div[{C('comments__item__media')}])[1]"},
        }],
        "readme": {"comments": 75, "replies": 67, "depths": {1: 8, 2: 13, 3: 15, 4: 10, 5: 9, 6: 8, 7: 6, 8: 3,
                                                             9: 2, 10: 1}},
        "note": "div.comments__item[data-id] nested; date = time[title] without the '(Europe/Moscow)' zone "
                "('24.04.2018 12:29:19'); page says '75 комментариев' = all present; 696746 is an image only "
                "(text '', flag media_only)",
    },
    "reddit_askreddit-worth-it-purchase_reddit-redesign.html": {
        "platform": "Reddit 2018 redesign, server-rendered",
        "platform_key": "reddit", "family": "reddit",
        "kinds": [{
            "item": f"//div[{C('Comment')}]",
            "id": "ancestor::div[starts-with(@id, 't1_')][1]/@id",
            "author": ["*[@data-testid='comment_author_icon']/@href", "*[@to]/@to"],
            "author_re": r"/user/([^/]+)/",
            "date": ".//a[@data-testid='comment_timestamp']",
            "body": ".//div[@data-testid='comment']",
            "parent": ("level", ".//span[starts-with(normalize-space(.), 'level ')]", 1, r"level (\d+)"),
            "flags": {"deleted": ".//*[@data-testid='post-comment-header-deleted'] or "
                                 ".//span[normalize-space(.) = '[deleted]']"},
        }],
        "null_authors": ["[deleted]"],
        "stated": {"xpath": "//meta[@name='og:description']/@value", "re": r"([\d,]+) comments"},
        "evidence": ["//meta[@name='og:description']/@value",
                     "//div[starts-with(@id, 'moreComments-')]", "//div[starts-with(@id, 'continueThread-')]"],
        "readme": {"comments": 15, "replies": 7, "depths": {1: 8, 2: 7}},
        "note": "div.Comment; level from its 'level N' text (= wrapper padding-left 16px/37px); parent = nearest "
                "earlier item one level up; author from the author icon link /user/NAME/ (the only place the "
                "name is in this server render); deleted accounts: author null, author_alt '[deleted]', flag "
                "deleted: 3 'Comment deleted by user' (no body, text '') + 2 '[deleted]' with a body (README says "
                "1 + 4; total 5 either way); traps: 7 'N more replies' and 7 'Continue this thread' stubs; "
                "the page states 25,436 comments",
    },
    "zeit_ice-frankfurt-barcelona_zeit-comments.html": {
        "platform": "ZEIT ONLINE comment system (German news)",
        "platform_key": "zeit", "family": "zeit",
        "kinds": [{
            "item": f"//article[{C('comment')}][starts-with(@id, 'cid-')]",
            "id": "@id", "author": f".//h4[{C('comment-meta__name')}]",
            "date": f".//a[{C('comment-meta__date')}]", "date_re": r"—\s*(.+)$",
            "num": f".//a[{C('comment-meta__date')}]", "num_re": r"#([\d.]+)",
            "body": f".//div[{C('comment__body')}]",
            "parent": ("level", f"boolean(self::*[{C('comment--indented')}])", 0, None),
            "check_parent": ("pid", ".//form[.//button[contains(@class, 'comment__origin')]]/input[@name='cid']/@value",
                             "@id", ()),
            "flags": {"moderated": "boolean(.//div[contains(@class, 'comment__body')]//em[@class='moderation'])"},
        }],
        "stated": {"xpath": "//*[self::span or self::a or self::h2 or self::div][not(*)]"
                            "[contains(normalize-space(.), ' Kommentare')][starts-with(normalize-space(.), '5')]",
                   "re": r"^(\d+) Kommentare"},
        "evidence": ["//*[not(*)][normalize-space(.) = '571 Kommentare']",
                     "//*[not(*)][contains(., 'weitere Antworten anzeigen')]",
                     "//*[not(*)][normalize-space(.) = 'Weitere Kommentare']"],
        "readme": {"comments": 8, "replies": 4, "depths": {1: 4, 2: 4}},
        "note": "article.comment (8 recommended comments of 571); DOM flat, a reply has class comment--indented "
                "and number #n.1, cross-checked against its 'Antwort auf #n' form (input cid); #1 is kept as an "
                "item although its body is the moderators' 'Entfernt. ...' notice (flag moderated) and #1.1's body "
                "says the comment it refers to was removed (also flag moderated); date = the relative time shown",
    },
    "taz_siemens-neubauer_taz-comments.html": {
        "platform": "taz.de comment system (German news)",
        "platform_key": "taz", "family": "taz",
        "kinds": [{
            "item": "//li[starts-with(@id, 'bb_message_')]",
            "id": "@id", "author": "a[contains(@class, 'author')]/h4", "date": "time/@datetime",
            "body": f"div[{C('objlink')}]",
            "parent": ("dom", "ancestor::li[starts-with(@id, 'bb_message_')][1]"),
        }],
        "readme": {"comments": 50, "replies": 22, "depths": {1: 28, 2: 18, 3: 2, 4: 1, 5: 1}},
        "note": "li[id^=bb_message_] nested in ul.thread; '@Name' references inside bodies are not structure",
    },
    "tomshardware_buy-rtx-3080_xenforo-comment-widget.html": {
        "platform": "XenForo-backed article comment widget (Tom's Hardware)",
        "platform_key": "xenforo-widget", "family": "xenforo",
        "kinds": [{
            "item": f"//li[{C('xenforo-comment')}][@id]",
            "id": "@id", "author": f".//span[{C('author-name')}]", "date": f".//span[{C('post-date')}]",
            "body": f".//div[{C('js-read-more')}]", "quote": "./blockquote", "parent": ("none",),
        }],
        "stated": {"xpath": "//button[contains(@class, 'xenforo-comments-view-all')]", "re": r"(\d+)"},
        "evidence": ["//button[contains(@class, 'xenforo-comments-view-all')]"],
        "readme": {"comments": 10, "replies": 0},
        "note": "li.xenforo-comment#xenforo-comment-N, flat; 'X said:' quotes are not replies; trap: the 11th "
                "li.xenforo-comment (no id) is the 'View All 32 Comments' button; platform_key separate from the "
                "XenForo forum: the widget markup is the site's own (none of XenForo's templates), only the data "
                "comes from XenForo (family xenforo)",
    },
    "pixnet_meishu-camp-maple_pixnet.html": {
        "platform": "PIXNET blog (Taiwan, Traditional Chinese)",
        "platform_key": "pixnet", "family": "pixnet",
        "kinds": [
            {
                "kind": "reader",
                "item": f"//ul[{C('single-post')}]",
                "id": "li[contains(@class, 'post-info')]/a[starts-with(@name, 'comment-')]/@name",
                "author": f".//span[{C('user-name')}]", "date": f".//span[{C('post-time')}]",
                "date_re": r"於\s*(.+)$", "num": f".//span[{C('floor')}]", "num_re": r"#(\d+)",
                "body": f"li[{C('post-text')}]", "parent": ("none",),
                "flags": {"private": C("secret")},
                "empty_text_if": C("secret"),
            },
            {
                "kind": "owner_reply",
                "item": f"//ul[{C('single-post')}]/li[{C('reply-text')}][normalize-space()]",
                "id": None, "author": "p/a", "date": "p", "date_re": r"於\s*(.+?)\s*回覆",
                "body": ".", "drop": "p[a]",
                "parent": ("dom", "parent::ul"),
                "flags": {"owner_reply": "true()"},
            },
        ],
        "readme": {"comments": 80, "replies": 38, "depths": {1: 42, 2: 38}},
        "note": "reader comments ul.single-post #1-#42 (39 public, 3 private '悄悄話' stubs: items with author, "
                "date and id null, text '', flag private); the blog owner's answer li.reply-text inside a box is "
                "a reply to that box's reader comment (flag owner_reply; no own id, parent = the reader "
                "comment-N; 38 non-empty, #40 has none); 'comment-N' is the anchor a[name] and p[id] of the box",
    },
    "lifehacker_stop-buying-crap_kinja.html": {
        "platform": "Kinja (Lifehacker 2015)",
        "platform_key": "kinja", "family": "kinja",
        "kinds": [{
            "item": f"//article[{C('js_reply')}]",
            "id": "@id", "author": f".//a[{C('fn')}]",
            "date": f".//span[{C('js_publish_time')}]/@data-publishtime", "date_epoch_ms": True,
            "body": f".//div[{C('reply-content')}]",
            "parent": ("pid", "@data-parentid", "@data-id", ("1690268064",)),
        }],
        "author_alt_re": ("@data-authorname", None),
        "evidence": ["//a[normalize-space(.) = 'Show all threads']",
                     ("{} replies (bubble count)",
                      f"//article[{C('js_reply')}][@data-parentid = '1690268064']//a[{C('js_toggle-descendants')}]"
                      "[normalize-space(.) != '']")],
        "readme": {"comments": 12, "replies": 8, "depths": {1: 4, 2: 4, 3: 3, 4: 1}},
        "note": "article.js_reply, DOM flat (div.branch); parent from data-parentid, where 1690268064 = the post "
                "itself (top-level; shown as '→ Patrick Allan', the post's author); id reply_N (data-id N); "
                "author = the visible display name (author_alt = data-authorname login, e.g. greenarcher02 / "
                "winfredarmandelafuentelati); date = data-publishtime (epoch ms) as UTC (shown as '3/09/15 "
                "8:12am', US Pacific); the bubble counts of the top-level comments (9, 3, 4) exceed the replies "
                "shown (2, 1, 3), so the page holds a subset ('Show all threads'); no total stated",
    },
    "tichyseinblick_no-peace-for-our-time_wordpress-wpdiscuz.html": {
        "platform": "WordPress with the wpDiscuz comment plugin (German)",
        "platform_key": "wpdiscuz", "family": "wordpress",
        "kinds": [{
            "item": f"//div[{C('wc-comment')}]",
            "id": f"div[{C('wc-comment-right')}]/@id", "author": f".//div[{C('wc-comment-author')}]",
            "date": f".//div[{C('wc-comment-date')}]", "body": f".//div[{C('wc-comment-text')}]",
            "drop": f".//span[{C('wpdiscuz-hellip')} or {C('wpdiscuz-readmore')}]",
            "parent": ("dom", f"ancestor::div[{C('wc-comment')}][1]"),
            "check_parent": ("level", "@class", 1, r"wc_comment_level-(\d+)"),
        }],
        "stated": {"xpath": f"//span[{C('comments-number')}]", "re": r"(\d+)"},
        "evidence": [f"//span[{C('comments-number')}]", f"//button[{C('wc-load-more-submit')}]"],
        "readme": {"comments": 18, "replies": 8, "depths": {1: 10, 2: 6, 3: 2}},
        "note": "div.wc-comment (id on the inner div.wc-comment-right: comment-N) nested, cross-checked against "
                "class wc_comment_level-N; dates relative; header '( 56 )' and 'weitere Kommentare anzeigen': 18 "
                "of 56 are in the HTML; platform_key wpdiscuz (the plugin writes its own comment markup), family "
                "wordpress",
    },
    "theoriginalcopy_editors-letter-baby_wordpress-amp.html": {
        "platform": "WordPress, AMP for WP (German)",
        "platform_key": "wordpress", "family": "wordpress",
        "kinds": [{
            "item": f"//li[{C('comment')}]",
            "id": "article/@id", "author": f".//span[{C('comment__author-name')}]",
            "date": f".//time[{C('comment__time')}]/@datetime", "body": f".//section[{C('comment__content')}]",
            "num": f".//span[{C('comment-number')}]",
            "parent": ("dom", f"ancestor::li[{C('comment')}][1]"),
            "check_parent": ("level", "@class", 1, r"\bdepth-(\d+)"),
        }],
        "readme": {"comments": 52, "replies": 26, "depths": {1: 26, 2: 26}},
        "note": "li.comment (depth-1/depth-2) with article#comment-N; replies in ul.children; '52 Comments' = "
                "all present; platform_key wordpress = the WordPress core comment walker (li.comment.depth-N, "
                "ul.children), shared with the WordPress 3.5 page",
    },
    "the-pain-wayback_silkroad-roc-quests_wordpress35.html": {
        "platform": "WordPress 3.5, Wayback Machine capture (German)",
        "platform_key": "wordpress", "family": "wordpress",
        "kinds": [{
            "item": f"//ol[{C('commentlist')}]/li[{C('comment')}]",
            "id": "@id", "author": f".//cite[{C('fn')}]",
            "date": f".//div[{C('comment-meta')}]/a", "body": f"div[{C('comment-body')}]",
            "drop": f"div[{C('comment-author')} or {C('comment-meta')} or {C('reply')}]",
            "parent": ("dom", f"ancestor::li[{C('comment')}][1]"),
        }],
        "pingbacks": f"//ol[{C('commentlist')}]/li[{C('pingback')}]",
        "readme": {"comments": 33, "replies": 0},
        "note": "li.comment in ol.commentlist, all depth-1; the 1 li.pingback is counted in pingbacks, not an "
                "item; 'Kommentare (34)' = 33 + 1 pingback; trap: sidebar 'Neueste Kommentare'",
    },
}

EMPTY_PAGES: dict[str, dict[str, Any]] = {
    "nachtkritik_hass-auf-dragqueens_joomla-jcomments.html": {
        "platform": "Joomla with JComments", "platform_key": "joomla-jcomments", "family": "joomla",
        "note": "empty div#comments and form#comments-form; trap: sidebar module 'neueste kommentare' "
                "(ul.jcomments-latest) with 10 div.comment entries linking to comments on other articles",
        "traps": ["//div[@id='comments']",
                  "//ul[contains(@class, 'jcomments-latest')]//div[contains(@class, 'comment')]"],
    },
    "schleifen-ucoz_briefe_ucoz.html": {
        "platform": "uCoz", "platform_key": "ucoz", "family": "ucoz",
        "note": "'Kommentare insgesamt: 0' and a comment form; trap: the 4 div.answer are poll options",
        "traps": ["//td[contains(., 'Kommentare insgesamt')]", f"//div[{C('answer')}]"],
    },
    "independent_hotel-owner-secrets_gigya.html": {
        "platform": "Gigya comments on a Drupal 7 news site (The Independent)", "platform_key": "gigya",
        "family": "gigya",
        "note": "a#comment-count '0 comments', div.gig-comments-count '0 Comments', empty div.gig-comments-comments, "
                "compose box; keyed by the comment system (Gigya), not by the Drupal page around it",
        "traps": ["//a[@id='comment-count']", f"//div[{C('gig-comments-count')}]"],
    },
    "caktusgroup_django-client-side-testing_disqus-noscript.html": {
        "platform": "Disqus, not rendered", "platform_key": "disqus", "family": "disqus",
        "note": "empty div#disqus_thread and a noscript 'Please enable JavaScript to view the comments powered by "
                "Disqus.'; same platform_key as the rendered Disqus page",
        "traps": ["//div[@id='disqus_thread']", "//noscript[contains(., 'Disqus')]"],
    },
    "herzundblut_besuch-veronique-lacaze_squarespace.html": {
        "platform": "Squarespace", "platform_key": "squarespace", "family": "squarespace",
        "note": "empty div.squarespace-comments; its data-public-comment-count (and the page data's "
                "publicCommentCount) is 1, but that comment is loaded by script and is not in the file: 0 items, "
                "stated 1",
        "traps": [f"//div[{C('squarespace-comments')}]"],
        "stated": {"xpath": f"//div[{C('squarespace-comments')}]/@data-public-comment-count", "re": r"(\d+)"},
        "evidence": [("div.squarespace-comments data-public-comment-count={}",
                      f"//div[{C('squarespace-comments')}]/@data-public-comment-count")],
    },
}

TALK_README: dict[str, dict[str, Any]] = {
    "pl-big-oldparser": {"comments": 174, "replies": 135, "depths": {1: 39, 2: 83, 3: 34, 4: 14, 5: 4},
                         "authors": 68, "platform": "MediaWiki talk page: Polish Wikipedia village pump archive, "
                                                    "Oct 2018 (old parser HTML)"},
    "ckb-big-oldparser": {"comments": 205, "replies": 158,
                          "depths": {1: 47, 2: 84, 3: 30, 4: 22, 5: 11, 6: 6, 7: 3, 8: 1, 9: 1}, "authors": 25,
                          "platform": "MediaWiki talk page: Central Kurdish (Sorani, RTL) village pump (old parser)",
                          "readme_differs": "README 205 comments = the JSON's comment nodes with the 40 comments of "
                                            "its 11 subsections counted twice; 165 distinct, as in the extension's "
                                            "own ckb-big-oldparser-getText.json (165 c- keys)"},
    "ar-no-paragraph-oldparser": {"comments": 91, "replies": 47, "depths": {1: 44, 2: 44, 3: 3}, "authors": 32,
                                  "platform": "MediaWiki user talk page: Arabic (RTL, old parser)"},
    "fr-unsigned-parsoid": {"comments": 85, "replies": 54, "depths": {1: 31, 2: 23, 3: 12, 4: 8, 5: 6, 6: 3, 7: 2},
                            "authors": 46, "platform": "MediaWiki article talk page: French 'Discussion:Le Monde' "
                                                       "(Parsoid HTML, unsigned comments)",
                            "readme_differs": "README 85 comments = the JSON's comment nodes with the 1 comment of "
                                              "its 1 subsection counted twice; 84 distinct"},
    "it-unsigned-parsoid": {"comments": 103, "replies": 67,
                            "depths": {1: 36, 2: 24, 3: 16, 4: 8, 5: 5, 6: 3, 7: 2, 8: 3, 9: 2, 10: 2, 11: 1, 12: 1},
                            "authors": 48, "platform": "MediaWiki help desk: Italian 'Aiuto:Sportello informazioni' "
                                                       "(Parsoid HTML, unsigned comments)"},
    "en-big-oldparser": {"comments": 1311, "authors": 238,
                         "platform": "MediaWiki talk page: English Wikipedia village pump (old parser)",
                         "readme_differs": "../threads README 1,311 comments = the JSON's comment nodes with the 241 "
                                           "comments of its 33 subsections counted twice; 1,070 distinct, as in "
                                           "the extension's own en-big-oldparser-getText.json (1,070 c- keys)"},
}

# ---------------------------------------------------------------------------------------------------------------
# Reading HTML
# ---------------------------------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*['\"]?([A-Za-z0-9_\-]+)", re.I)


def decode(data: bytes) -> str:
    """The page's text: its declared charset (ISO-8859-1 read as windows-1252, as browsers do), else UTF-8."""
    m = _META_CHARSET.search(data[:4096]) or _META_CHARSET.search(data)
    if m:
        enc = m.group(1).decode("ascii").lower()
        enc = "cp1252" if enc in {"iso-8859-1", "latin1", "latin-1", "us-ascii"} else enc
        return data.decode(enc, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_page(path: Path) -> etree._Element:
    """The page's DOM (lxml HTML parser, text decoded first)."""
    text = decode(path.read_bytes())
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    return html.document_fromstring(text)


def collapse(s: str) -> str:
    """Whitespace-collapsed, stripped."""
    return " ".join(s.split())


def visible_text(el: Any, drop: list[Any] | None = None) -> str:
    """Text of an element as read on screen: no script/style, a space for <br> and block boundaries, collapsed."""
    if not isinstance(el, etree._Element):
        return collapse(str(el))
    skip = set(map(id, drop or []))
    parts: list[str] = []

    def walk(e: etree._Element) -> None:
        if id(e) in skip or not isinstance(e.tag, str) or e.tag in SKIP_TAGS:
            return
        block = e.tag in BLOCK_TAGS or e.tag == "br"
        if block:
            parts.append(" ")
        if e.text:
            parts.append(e.text)
        for c in e:
            walk(c)
            if c.tail:
                parts.append(c.tail)
        if block:
            parts.append(" ")

    walk(el)
    return collapse("".join(parts))


def owner(node: Any) -> etree._Element:
    """The element a node belongs to (an attribute's element, or the element itself)."""
    return node.getparent() if isinstance(node, etree._ElementUnicodeResult) else node


class Page:
    """One parsed page with its items' elements (for the 'own node' test)."""

    def __init__(self, root: etree._Element, items: list[etree._Element]) -> None:
        self.root = root
        self.items = items
        self.item_ids = {id(e) for e in items}
        self.all = list(root.iter())  # keeps every element proxy alive, so id() is a stable identity
        self.order = {id(e): i for i, e in enumerate(self.all)}

    def item_of(self, node: Any) -> etree._Element | None:
        """The nearest item enclosing a node (or the node itself)."""
        e = owner(node)
        while e is not None:
            if id(e) in self.item_ids:
                return e
            e = e.getparent()
        return None

    def own(self, item: etree._Element, xpath: str | None) -> list[Any]:
        """Nodes of a relative XPath that belong to this item, not to an item nested in it."""
        if not xpath:
            return []
        res = item.xpath(xpath)
        if not isinstance(res, list):
            return [res]
        return [n for n in res if not self.inside(item, owner(n)) or self.item_of(n) is item]

    @staticmethod
    def inside(item: etree._Element, e: etree._Element) -> bool:
        """Whether e is item or one of its descendants."""
        while e is not None:
            if e is item:
                return True
            e = e.getparent()
        return False


def first_value(page: Page, item: etree._Element, spec: Any, regex: str | None = None) -> str | None:
    """The first non-empty value of one or more alternative node XPaths (group 1 of `regex` when given)."""
    for xp in spec if isinstance(spec, list) else [spec]:
        for node in page.own(item, xp):
            if isinstance(node, bool):
                continue
            value = visible_text(node) if isinstance(node, etree._Element) else collapse(str(node))
            if regex:
                m = re.search(regex, value)
                value = collapse(m.group(1)) if m else ""
            if value:
                return value
    return None


def body_text(page: Page, item: etree._Element, kind: dict[str, Any], quotes: bool) -> str:
    """Collapsed text of the item's body (without quoted posts when quotes=False)."""
    out = []
    for b in page.own(item, kind.get("body")):
        drop = list(b.xpath(kind["drop"])) if kind.get("drop") else []
        if not quotes and kind.get("quote"):
            drop += list(b.xpath(kind["quote"]))
        out.append(visible_text(b, drop))
    return collapse(" ".join(out))


def level_of(page: Page, item: etree._Element, rule: tuple[Any, ...]) -> int:
    """Depth (1 = top-level) from a level cue: (kind, xpath, value of top-level, regex)."""
    _, xp, top, regex = rule
    res = item.xpath(xp)
    if isinstance(res, list):
        res = page.own(item, xp)
    if isinstance(res, bool):
        raw = "1" if res else "0"
    elif isinstance(res, list):
        raw = visible_text(res[0]) if res and isinstance(res[0], etree._Element) else (str(res[0]) if res else "")
    else:
        raw = str(res)
    if regex:
        m = re.search(regex, raw)
        if not m:
            raise ValueError(f"no level in {raw!r}")
        raw = m.group(1)
    return int(float(raw)) - int(top) + 1


def key_digits(value: str | None) -> str | None:
    """The longest digit run of an id-like value ('/comment/82784#comment-82784' -> '82784')."""
    runs = re.findall(r"\d+", value or "")
    return max(runs, key=len) if runs else (value or None)


def parents_by_level(levels: list[int]) -> list[int | None]:
    """Index of each item's parent: the nearest earlier item one level up (None for level 1)."""
    out: list[int | None] = []
    for i, lv in enumerate(levels):
        if lv == 1:
            out.append(None)
            continue
        j = next((k for k in range(i - 1, -1, -1) if levels[k] == lv - 1), None)
        if j is None or any(levels[k] < lv - 1 for k in range(j + 1, i)):
            raise ValueError(f"item {i + 1}: no parent at level {lv - 1}")
        out.append(j)
    return out


def yaml_item_parent(items: list[dict[str, Any]], j: int | None) -> str | None:
    """The parent reference: its id, or 'pos:N' when it has none."""
    if j is None:
        return None
    return items[j]["id"] if items[j]["id"] else f"pos:{items[j]['pos']}"


def build_html_page(path: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """Expected entry of one page with comments, read off its markup by its spec."""
    root = parse_page(path)
    tagged: list[tuple[etree._Element, dict[str, Any]]] = []
    seen: set[int] = set()
    for kind in spec["kinds"]:
        for e in root.xpath(kind["item"]):
            if id(e) not in seen:
                seen.add(id(e))
                tagged.append((e, kind))
    page = Page(root, [e for e, _ in tagged])
    tagged.sort(key=lambda t: page.order[id(t[0])])
    page.items = [e for e, _ in tagged]
    index = {id(e): i for i, e in enumerate(page.items)}

    items: list[dict[str, Any]] = []
    parent_idx: list[int | None] = []
    levels: list[int | None] = []
    checks: list[str] = []
    for i, (e, kind) in enumerate(tagged):
        flags = [f for f, xp in (kind.get("flags") or {}).items() if e.xpath(f"boolean({xp})" if not
                                                                              xp.startswith("boolean(") else xp)]
        ident = first_value(page, e, kind.get("id")) if kind.get("id") else None
        author = first_value(page, e, kind.get("author"), kind.get("author_re"))
        author = (spec.get("author_fix") or {}).get(author or "", author)
        date = first_value(page, e, kind.get("date"), kind.get("date_re"))
        if date and kind.get("date_epoch_ms"):
            date = datetime.fromtimestamp(int(date) / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        item: dict[str, Any] = {"pos": i + 1, "id": ident, "author": author, "parent": None, "depth": None,
                                "date": date, "text": ""}
        empty = kind.get("empty_text_if") and e.xpath(f"boolean({kind['empty_text_if']})")
        full = "" if empty else body_text(page, e, kind, quotes=True)
        item["text"] = full[:TEXT_CHARS]
        if kind.get("quote") and not empty:
            own = body_text(page, e, kind, quotes=False)
            if own != full:
                item["text_own"] = own[:TEXT_CHARS]
        if author in (spec.get("null_authors") or []):
            item["author"] = None
            item["author_alt"] = author
        elif author in (spec.get("author_alt") or {}):
            item["author_alt"] = spec["author_alt"][author]
        elif spec.get("author_alt_re"):
            alt = first_value(page, e, spec["author_alt_re"][0], spec["author_alt_re"][1])
            if alt and alt != author:
                item["author_alt"] = alt
        num = first_value(page, e, kind["num"], kind.get("num_re")) if kind.get("num") else None
        if num:
            item["num"] = num
        if flags:
            item["flags"] = flags
        items.append(item)

        rule = kind["parent"]
        if rule[0] == "dom":
            found = e.xpath(rule[1])
            parent_idx.append(index[id(found[0])] if found else None)
            levels.append(None)
        elif rule[0] == "level":
            parent_idx.append(None)
            levels.append(level_of(page, e, rule))
        elif rule[0] == "pid":
            parent_idx.append(None)
            levels.append(None)
        else:
            parent_idx.append(None)
            levels.append(1)

    # level-coded parents, then parent-id-coded parents (need every item's key first)
    lv_rows = [i for i, (_, k) in enumerate(tagged) if k["parent"][0] == "level"]
    if lv_rows:
        lv_parents = parents_by_level([levels[i] for i in lv_rows])  # type: ignore[misc]
        for r, p in zip(lv_rows, lv_parents, strict=True):
            parent_idx[r] = lv_rows[p] if p is not None else None
    for i, (e, kind) in enumerate(tagged):
        if kind["parent"][0] == "pid":
            _, pxp, kxp, top = kind["parent"]
            keys = {key_digits(first_value(page, x, kxp)): j for j, (x, _) in enumerate(tagged)}
            pid = first_value(page, e, pxp) or ""
            parent_idx[i] = None if pid in top or not pid else keys[key_digits(pid)]

    depth: list[int] = []
    for i, p in enumerate(parent_idx):
        depth.append(1 if p is None else depth[p] + 1)
        items[i]["depth"] = depth[i]
        items[i]["parent"] = yaml_item_parent(items, p)
        if levels[i] is not None and levels[i] != depth[i]:
            checks.append(f"pos {i + 1}: level {levels[i]} != depth {depth[i]}")

    # second, independent parent cue
    for i, (e, kind) in enumerate(tagged):
        cp = kind.get("check_parent")
        if not cp:
            continue
        if cp[0] == "pid":
            _, pxp, kxp, top = cp
            pid = first_value(page, e, pxp) or ""
            if not pid or pid in top:
                if parent_idx[i] is not None:
                    checks.append(f"pos {i + 1}: no parent cue but DOM parent pos {parent_idx[i] + 1}")
                continue
            pe = tagged[parent_idx[i]][0] if parent_idx[i] is not None else None
            got = key_digits(first_value(page, pe, kxp)) if pe is not None else None
            if got != key_digits(pid):
                checks.append(f"pos {i + 1}: parent cue {pid} != parent key {got}")
        elif cp[0] == "level" and level_of(page, e, cp) != depth[i]:
            checks.append(f"pos {i + 1}: level cue {level_of(page, e, cp)} != depth {depth[i]}")
    if checks:
        raise ValueError(f"{path.name}: parent cues disagree: {checks}")

    entry: dict[str, Any] = {
        "group": "with_comments", "folder": "with_comments", "platform": spec["platform"],
        "platform_key": spec["platform_key"], "platform_family": spec["family"], "note": spec["note"],
        "comments": len(items),
        "pingbacks": len(root.xpath(spec["pingbacks"])) if spec.get("pingbacks") else 0,
        "depths": dict(sorted(Counter(depth).items())),
    }
    entry.update(stated_and_evidence(root, spec, path.name))
    entry["items"] = items
    return entry


def stated_and_evidence(root: etree._Element, spec: dict[str, Any], name: str) -> dict[str, Any]:
    """The comment count the page states and the texts that show more comments exist than the HTML holds."""
    out: dict[str, Any] = {}
    if spec.get("stated"):
        st = spec["stated"]
        vals = [visible_text(n) if isinstance(n, etree._Element) else collapse(str(n)) for n in root.xpath(st["xpath"])]
        nums = [m.group(1) for v in vals if (m := re.search(st["re"], v))]
        if not nums:
            raise ValueError(f"{name}: stated count not found")
        out["stated"] = int(nums[0].replace(",", ""))
    if spec.get("evidence"):
        texts: list[str] = []
        for ev in spec["evidence"]:
            template, xp = ev if isinstance(ev, tuple) else ("{}", ev)
            for n in root.xpath(xp):
                t = template.format(visible_text(n) if isinstance(n, etree._Element) else collapse(str(n)))
                if t and t not in texts:
                    texts.append(t)
        if not texts:
            raise ValueError(f"{name}: no evidence found")
        out["evidence"] = "; ".join(texts)
    return out


def build_empty_page(path: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """Expected entry of a page with comment scaffolding but no comments (its traps must exist)."""
    root = parse_page(path)
    missing = [xp for xp in spec["traps"] if not root.xpath(xp)]
    if missing:
        raise ValueError(f"{path.name}: trap not found: {missing}")
    entry = {"group": "without_comments", "folder": "without_comments", "platform": spec["platform"],
             "platform_key": spec["platform_key"], "platform_family": spec["family"], "note": spec["note"],
             "comments": 0, "pingbacks": 0}
    entry.update(stated_and_evidence(root, spec, path.name))
    entry["items"] = []
    return entry


# ---------------------------------------------------------------------------------------------------------------
# Talk pages: the DiscussionTools comment tree, text read from the HTML through the tree's DOM ranges
# ---------------------------------------------------------------------------------------------------------------


def child_nodes(e: etree._Element) -> list[Any]:
    """DOM childNodes of an lxml element: elements as is, text nodes as (element, 'text' | 'tail') pairs."""
    out: list[Any] = []
    if e.text:
        out.append((e, "text"))
    for c in e:
        out.append(c)
        if c.tail:
            out.append((c, "tail"))
    return out


def resolve(root: etree._Element, path: str) -> tuple[Any, int]:
    """A DiscussionTools range boundary 'i/j/.../offset' as (node, offset)."""
    steps = [int(x) for x in path.split("/")]
    node: Any = root
    for s in steps[:-1]:
        node = child_nodes(node)[s]
    return node, steps[-1]


def node_key(n: Any) -> tuple[int, str]:
    """A hashable identity of a DOM node (element or text pair)."""
    return (id(n[0]), n[1]) if isinstance(n, tuple) else (id(n), "el")


def tokens_of(root: etree._Element) -> tuple[list[tuple[str, Any, bool]], dict[tuple[int, str], int]]:
    """The container in document order as (kind, node, hidden) tokens: 'open'/'close' elements and 'text' nodes,
    with the token index where each node starts."""
    toks: list[tuple[str, Any, bool]] = []
    start: dict[tuple[int, str], int] = {}

    def walk(e: etree._Element, hidden: bool) -> None:
        hidden = hidden or not isinstance(e.tag, str) or e.tag in SKIP_TAGS
        start[node_key(e)] = len(toks)
        toks.append(("open", e, hidden))
        for n in child_nodes(e):
            if isinstance(n, tuple):
                start[node_key(n)] = len(toks)
                toks.append(("text", n, hidden))
            else:
                walk(n, hidden)
        start[(id(e), "close")] = len(toks)
        toks.append(("close", e, hidden))

    walk(root, False)
    return toks, start


def boundary(root: etree._Element, start: dict[tuple[int, str], int], path: str) -> tuple[int, int]:
    """A range boundary as (token index, character offset inside that token's text)."""
    node, off = resolve(root, path)
    if isinstance(node, tuple):
        return start[node_key(node)], off
    kids = child_nodes(node)
    if off < len(kids):
        return start[node_key(kids[off])], 0
    return start[(id(node), "close")], 0


def text_between(root: etree._Element, toks: list[tuple[str, Any, bool]], start: dict[tuple[int, str], int],
                 a: str, b: str) -> str:
    """Visible text between two range boundaries."""
    (i, i_off), (j, j_off) = boundary(root, start, a), boundary(root, start, b)
    parts: list[str] = []
    for k in range(i, j + 1):
        kind, node, hidden = toks[k]
        if hidden:
            continue
        if kind == "text":
            t = (node[0].tail if node[1] == "tail" else node[0].text) or ""
            lo = i_off if k == i else 0
            hi = j_off if k == j else len(t)
            parts.append(t[lo:hi])
        elif k != j and (node.tag in BLOCK_TAGS or node.tag == "br"):
            parts.append(" ")
    return collapse("".join(parts))


def talk_container(root: etree._Element, parsoid: bool) -> etree._Element:
    """The element DiscussionTools' ranges are relative to: <body> (Parsoid) or div.mw-parser-output."""
    if parsoid:
        return root.find("body")
    found = root.xpath(f"//div[{C('mw-parser-output')}]")
    return found[0] if found else root.find("body")


def path_key(path: str) -> tuple[int, ...]:
    """Sort key of a range boundary path (document order)."""
    return tuple(int(x) for x in path.split("/"))


def talk_comments(tree: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Each comment of a DiscussionTools tree once, with its parent comment (None under a heading)."""
    # The tree's top-level list holds every heading, subsections included, and a subsection also sits among its
    # parent section's replies: its comments are met twice and kept once (same DOM range).
    out: dict[tuple[str, ...], tuple[dict[str, Any], dict[str, Any] | None]] = {}

    def walk(node: dict[str, Any], parent: dict[str, Any] | None) -> None:
        if node.get("type") == "comment":
            out.setdefault(tuple(node["range"]), (node, parent))
            for r in node.get("replies") or []:
                walk(r, node)
        else:
            for r in node.get("replies") or []:
                walk(r, None)

    for top in tree:
        walk(top, None)
    return sorted(out.values(), key=lambda np: path_key(np[0]["range"][0]))


def build_talk_page(folder: Path, case: str, spec: dict[str, Any], group: str, folder_key: str) -> dict[str, Any]:
    """Expected entry of a talk page from the DiscussionTools tree (<case>.json) and the page HTML."""
    tree = json.loads((folder / f"{case}.json").read_text(encoding="utf-8"))
    root = talk_container(parse_page(folder / f"{case}.html"), parsoid="parsoid" in case)
    toks, starts = tokens_of(root)
    nodes = talk_comments(tree)
    ids = [n["id"] for n, _ in nodes]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{case}: duplicate comment ids after de-duplication")
    chain: dict[str, int] = {}
    items: list[dict[str, Any]] = []
    for pos, (node, parent) in enumerate(nodes, start=1):
        sig = (node.get("signatureRanges") or [[node["range"][1]]])[0][0]
        try:
            text = re.sub(r"[\s\-–—―~]+$", "", text_between(root, toks, starts, node["range"][0], sig))
        except (IndexError, KeyError):
            text = ""
        item: dict[str, Any] = {"pos": pos, "id": node["id"], "author": node.get("author"),
                                "parent": parent["id"] if parent else None, "depth": int(node["level"]),
                                "date": node.get("timestamp"), "text": text[:TEXT_CHARS]}
        if node.get("displayName") and node["displayName"] != node.get("author"):
            item["author_alt"] = node["displayName"]
        chain[node["id"]] = chain[parent["id"]] + 1 if parent else 1
        if chain[node["id"]] != item["depth"]:
            item["tree_depth"] = chain[node["id"]]
        items.append(item)
    return {
        "group": group, "folder": folder_key, "platform": spec["platform"], "platform_key": "mediawiki",
        "platform_family": "mediawiki",
        "note": "items = the DiscussionTools parse (<case>.json, silver standard: comments its parser misses, e.g. "
                "some unsigned ones, are absent), each comment once: the JSON lists every subsection both at top "
                "level and under its parent section, so comments in subsections appear twice there"
                + (f" ({spec['readme_differs']})" if spec.get("readme_differs") else "")
                + "; depth = the comment's level (1 = top-level in its section, as the README counts); parent = "
                "the comment it replies to in the tree (null under a heading); tree_depth = the depth along "
                "parents where it differs from the level (a level-2 comment straight under a heading, or a "
                "skipped level); id = DiscussionTools id (no DOM id in the input HTML); date = its timestamp "
                "(UTC); author = signature user name, author_alt = the displayed name where it differs; text = "
                "the comment's text up to its signature, read from the HTML through the tree's DOM ranges",
        "comments": len(items), "pingbacks": 0,
        "depths": dict(sorted(Counter(i["depth"] for i in items).items())),
        "items": items,
    }


# ---------------------------------------------------------------------------------------------------------------
# YAML output (hand-written so the layout matches evaluation/html_expected.yaml: one flow mapping per item)
# ---------------------------------------------------------------------------------------------------------------

_SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_RESERVED = {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"}


def ystr(value: Any) -> str:
    """A YAML scalar: numbers and null plain, strings double-quoted with YAML-safe escapes."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    s = str(value)
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif o < 0x20 or 0x7F <= o <= 0x9F or o in (0x2028, 0x2029, 0xFEFF) or 0xD800 <= o <= 0xDFFF or o in (
                0xFFFE, 0xFFFF):
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def ykey(value: str) -> str:
    """A mapping key: plain when safe, quoted otherwise."""
    return value if _SAFE.match(value) and value.lower() not in _RESERVED else ystr(value)


def yflow(d: dict[str, Any]) -> str:
    """A one-line flow mapping."""
    parts = []
    for k, v in d.items():
        if isinstance(v, list):
            parts.append(f"{k}: [{', '.join(ystr(x) for x in v)}]")
        else:
            parts.append(f"{k}: {ystr(v)}")
    return "{" + ", ".join(parts) + "}"


HEADER = """\
# Expected comment threads of the html_dev development set (../shared/real/html_dev, see its README.md) and of
# the big English talk page (../shared/real/threads/wikipedia_talk/en-big-village-pump). Pages are NOT copied here.
# GENERATED by evaluation/build_expected.py from the markup (lxml, one small spec per page), independently of the
# project's extractor; `python evaluation/build_expected.py --check` compares counts and depths with the README.
#
# Shape: as evaluation/html_expected.yaml, plus per page `folder` (where the file is: with_comments,
# without_comments, talk_pages/<case>, wikipedia_talk/en-big-village-pump), `platform_key` (leave-one-platform-out
# group), `platform_family`, and `stated`/`evidence` where the page shows signs of more comments than it holds.
# Per item: pos (1-based document order), id (DOM id, data-id or DiscussionTools id; null when the markup has
# none), author (visible name; null for deleted accounts and private stubs), parent (parent's id, "pos:N" when it
# has no id, null = top-level), depth (1 = top-level), date (machine date where the markup has one: datetime /
# title / content attribute or epoch; else as shown, relative times included), text_key (the body's text as a
# key, not the text: "<n>:<first 16 hex digits of SHA-256>" of its first n <= 30 normalised characters, NFKC,
# case-folded, whitespace removed, pipeline/evaluation/textkey.py; the body read with <br> and block boundaries as
# spaces, script/style dropped; null when the item has no body). Optional: author_alt (another spelling the markup
# shows for the same person), text_own_key (forum posts that open with a quote: the key of the text without quoted
# posts; compare by containment), num (the number the page shows:
# post #, floor, comment #), flags (opening_post, collapsed, deleted, private, owner_reply, moderated, bot,
# media_only), tree_depth (talk pages: depth along the parent chain where it differs from the level).
# `stated` is absent where the page shows signs of a subset without a total (Kinja: evidence only).
#
# Judgement calls (also in each page's note):
# - Only the page's repeated comment/post list holds items; the page's main content is never an item (article,
#   blog post, Stack Exchange question, Launchpad bug description, Kinja post).
# - Forum opening posts: the first post of a forum thread page (XenForo #1, Forumotion Beitrag #1) IS an item,
#   top-level, flag opening_post: the page shows it in the same post list with the same markup, authorship and
#   numbering as every reply, and a forum has no separate "article"; leaving it out would make the item set depend
#   on which page of the thread was saved (vBulletin page 34 has no opening post). Drop flag opening_post to get
#   replies-only counts.
# - Flat forums and widgets (vBulletin, XenForo, Forumotion, Tom's Hardware, Launchpad, WordPress 3.5): all items
#   top-level; a quote of another post inside a body is not a reply.
# - Stack Exchange: the question is the post; answers are top-level; comments under the question are top-level;
#   comments under an answer are that answer's replies (depth 2).
# - LiveJournal collapsed comments (author and time, no body) are items without text (text_key null) and flag collapsed; the
#   "N more comments" stubs are not items.
# - PIXNET: the blog owner's answer inside a reader's comment box is a reply to that reader comment (depth 2, no
#   own id, flag owner_reply); the 3 private "悄悄話" boxes are items with author null and no text.
# - Kinja: data-parentid equal to the post id (1690268064) means top-level.
# - Reddit: "Comment deleted by user" is an item with author null and no text; "[deleted]" accounts with a body
#   are items with author null (author_alt "[deleted]"); "N more replies" / "Continue this thread" stubs are not.
# - ZEIT: the moderators' "Entfernt" placeholder is an item (flag moderated), it still has an author and a reply.
# - Never items: ads dressed as posts (Forumotion "Gesponserte Inhalte"), status-change entries (Launchpad
#   activity without text), "view all"/"load more"/"more replies" buttons, sidebars of comments from other pages.
#   The Launchpad Janitor's numbered comment with text is an item (flag bot).
# - Pingbacks are counted in `pingbacks`, not listed as items.
# - platform_key = the software that writes the comment markup (held out together): Drupal 7 and 8 share
#   "drupal" (same comment module: article.comment, div.indented); the WordPress AMP and 3.5 pages share
#   "wordpress" (core comment walker: li.comment.depth-N, ul.children); wpDiscuz writes its own markup
#   ("wpdiscuz", family wordpress); the Tom's Hardware widget is site-made markup over XenForo data
#   ("xenforo-widget", family xenforo), not the XenForo forum templates ("xenforo"); both Disqus pages "disqus";
#   the Independent page is keyed by its comment system ("gigya"), not its CMS; all talk pages "mediawiki".
#   platform_family groups coarser (drupal, wordpress, xenforo, ...) for a stricter split.
# - Talk pages: items are the DiscussionTools tree (silver standard), each comment once (the JSON lists a
#   subsection both at top level and inside its parent section, so the README's counts for ckb, fr and en-big
#   count those comments twice: 165 not 205, 84 not 85, 1,070 not 1,311); depth = its level, parent = the tree's
#   parent comment; text = the comment up to its signature (equals the extension's own getText output, first 60
#   characters, for all 174 pl, 165 ckb and 1,067 of 1,070 en comments), stored as its key.
# - Pages without comments: comments 0, items []; their traps are in `note`; the Squarespace page states 1 comment
#   that is loaded by script (stated 1).
"""


def text_key(text: str | None) -> str | None:
    """"<n>:<first 16 hex of SHA-256>" of the first n <= KEY_CHARS characters after NFKC, case-fold, no whitespace."""
    k = "".join(unicodedata.normalize("NFKC", text or "").casefold().split())[:KEY_CHARS]
    return f"{len(k)}:{hashlib.sha256(k.encode('utf-8')).hexdigest()[:16]}" if k else None


def hide_texts(item: dict[str, Any]) -> dict[str, Any]:
    """The item with `text` / `text_own` replaced by their keys (the pages' text is not copied here)."""
    out: dict[str, Any] = {}
    for k, v in item.items():
        if k in ("text", "text_own"):
            out[f"{k}_key"] = text_key(v)
        else:
            out[k] = v
    return out


def dump(pages: dict[str, dict[str, Any]]) -> str:
    """The YAML text (item texts as keys)."""
    lines = [HEADER.rstrip("\n"), "pages:"]
    for name, p in pages.items():
        lines.append(f"  {ykey(name)}:")
        for k in ("group", "folder", "platform", "platform_key", "platform_family", "note", "comments", "pingbacks"):
            lines.append(f"    {k}: {ystr(p[k])}")
        if "depths" in p:
            lines.append("    depths: {" + ", ".join(f"{d}: {n}" for d, n in p["depths"].items()) + "}")
        for k in ("stated", "evidence"):
            if k in p:
                lines.append(f"    {k}: {ystr(p[k])}")
        if not p["items"]:
            lines.append("    items: []")
            continue
        lines.append("    items:")
        lines.extend(f"      - {yflow(hide_texts(it))}" for it in p["items"])
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------------------------


def build(pages_dir: Path, talk_dir: Path | None) -> dict[str, dict[str, Any]]:
    """Every expected page entry."""
    out: dict[str, dict[str, Any]] = {}
    for name, spec in SPECS.items():
        out[name] = build_html_page(pages_dir / "with_comments" / name, spec)
    for name, spec in EMPTY_PAGES.items():
        out[name] = build_empty_page(pages_dir / "without_comments" / name, spec)
    for case in ("pl-big-oldparser", "ckb-big-oldparser", "ar-no-paragraph-oldparser", "fr-unsigned-parsoid",
                 "it-unsigned-parsoid"):
        out[f"{case}.html"] = build_talk_page(pages_dir / "talk_pages" / case, case, TALK_README[case],
                                              "talk_pages", f"talk_pages/{case}")
    if talk_dir is not None:
        folder = talk_dir / "en-big-village-pump"
        out["en-big-oldparser.html"] = build_talk_page(folder, "en-big-oldparser", TALK_README["en-big-oldparser"],
                                                       "threads", "wikipedia_talk/en-big-village-pump")
    return out


def readme_of(name: str) -> dict[str, Any] | None:
    """The README's counts of a page."""
    if name in SPECS:
        return SPECS[name]["readme"]
    if name in EMPTY_PAGES:
        return {"comments": 0, "replies": 0}
    return TALK_README.get(name.removesuffix(".html"))


def check(pages: dict[str, dict[str, Any]]) -> int:
    """Print items vs README per page; return the number of disagreements."""
    bad = 0
    out = [f"{'page':<60} {'items':>5} {'readme':>6} {'repl':>5} {'readme':>6}  depths (ours | README)"]
    for name, p in pages.items():
        r = readme_of(name) or {}
        replies = sum(n for d, n in p.get("depths", {}).items() if d > 1)
        ok = p["comments"] == r.get("comments") and ("replies" not in r or replies == r["replies"])
        if r.get("depths"):
            ok = ok and {int(k): v for k, v in p["depths"].items()} == r["depths"]
        if r.get("authors"):
            authors = len({i["author"] for i in p["items"] if i["author"]})
            ok = ok and authors == r["authors"]
        explained = (r.get("readme_differs") or SPECS.get(name, {}).get("readme_differs")) if not ok else None
        bad += not ok and not explained
        dep = "/".join(str(v) for v in p.get("depths", {}).values())
        rdep = "/".join(str(v) for v in r.get("depths", {}).values()) or "-"
        out.append(f"{name[:60]:<60} {p['comments']:>5} {r.get('comments', '-')!s:>6} {replies:>5} "
              f"{r.get('replies', '-')!s:>6}  {dep} | {rdep}  {'OK' if ok else 'DIFFERS'}"
              + (f"  stated {p['stated']}" if "stated" in p else "")
              + (f"\n    explained: {explained}" if explained else ""))
    out.append(f"{len(pages)} pages, {bad} differ from the README without an explanation")
    sys.stdout.write("\n".join(out) + "\n")
    return bad


def main(argv: list[str]) -> int:
    """CLI: build the YAML (or --check it against the README's counts)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=Path, required=True, help="the html_dev folder")
    ap.add_argument("--talk", type=Path, default=None, help="the threads/wikipedia_talk folder (en-big page)")
    ap.add_argument("--out", type=Path, default=None, help="write the YAML here")
    ap.add_argument("--check", action="store_true", help="print per-page counts against the README")
    args = ap.parse_args(argv)
    pages = build(args.pages, args.talk)
    if args.out:
        args.out.write_text(dump(pages), encoding="utf-8")
    if args.check:
        return 1 if check(pages) else 0
    if not args.out:
        sys.stdout.write(dump(pages))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
