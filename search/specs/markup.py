"""Markdown and MediaWiki bodies as structured plain text (no Django).

Both markups are read by a well-kept parser (markdown-it-py for CommonMark with tables,
mwparserfromhell for wikitext) into the same few kinds of block, and one writer turns the
blocks into the text the index and the document page use, in the shared corpus's layout:

- headings on a line of their own, with a blank line around them;
- a paragraph is one line (hard-wrapped source lines are joined);
- list items one per line, written `- ` (bullets) or `1. ` (numbered), nesting flattened;
- table rows one per line, cells joined with ` | `;
- links, emphasis and inline code reduced to their visible text; images, HTML comments and
  templates dropped; superscripts written `2^256`;
- code blocks: short ones (interfaces, single signatures, at most MAX_CODE_LINES lines) are kept
  line by line because people search for them ("ERC-20 transferFrom"); longer ones are
  reference implementations or test vectors and are dropped, as the shared corpus drops them;
- hex and base58 blobs longer than 40 characters are dropped (keys, hashes, test data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING, PARAGRAPH, ITEM, ROW, CODE = "heading", "paragraph", "item", "row", "code"
MAX_CODE_LINES = 20
_BLOB = re.compile(r"\b(?:0x)?[0-9a-fA-F]{41,}\b|\b[1-9A-HJ-NP-Za-km-z]{41,}\b")
_LETTER = re.compile(r"[A-Za-z]")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TAG = re.compile(r"<[^>\n]*>")


@dataclass
class Block:
    kind: str
    text: str
    marker: str = ""  # "- " or "1. " for list items


def _squash(text: str) -> str:
    return " ".join(_BLOB.sub("", text).split())


def blocks_text(blocks: list[Block]) -> str:
    """The blocks as text: paragraphs separated by blank lines; items, rows and code lines grouped one per line."""
    paragraphs: list[list[str]] = []
    group_kind = None
    for block in blocks:
        if block.kind == CODE:
            lines = [_squash(line) for line in block.text.splitlines() if line.strip()]
            if len(lines) > MAX_CODE_LINES:
                continue
            lines = [line for line in lines if _LETTER.search(line)]
            if lines:
                paragraphs.append(lines)
            group_kind = None
            continue
        text = _squash(block.text)
        if not text:
            continue
        line = f"{block.marker}{text}" if block.kind == ITEM else text
        if block.kind in (ITEM, ROW) and group_kind == block.kind:
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
        group_kind = block.kind if block.kind in (ITEM, ROW) else None
    return "\n\n".join("\n".join(lines) for lines in paragraphs)


# --- Markdown ------------------------------------------------------------------------------------


def _markdown_parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


def _inline_text(token) -> str:
    out = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "html_inline":
            if child.content.lower().startswith("<sup"):
                out.append("^")
            elif child.content.lower().startswith("<br"):
                out.append(" ")
        # images, link and emphasis markers: nothing visible of their own
    return "".join(out)


def _html_text(html: str) -> str:
    """The visible words of a raw HTML block (an <img>, a <table> written in HTML, a comment)."""
    html = _COMMENT.sub("", html)
    html = re.sub(r"</(tr|p|div|li|h\d)>|<br\s*/?>", "\n", html, flags=re.I)
    html = re.sub(r"</t[dh]>\s*<t[dh][^>]*>", " | ", html, flags=re.I)
    return _TAG.sub("", html)


def markdown_blocks(markdown: str) -> list[Block]:
    tokens = _markdown_parser().parse(markdown)
    blocks: list[Block] = []
    lists: list[str] = []  # "- " or "1. " per open list
    item_started: list[bool] = []  # per open list item: has its first paragraph been written?
    cells: list[str] | None = None
    heading = False
    for token in tokens:
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append("- " if kind == "bullet_list_open" else "1. ")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            item_started.append(False)
        elif kind == "list_item_close":
            item_started.pop()
        elif kind == "heading_open":
            heading = True
        elif kind == "heading_close":
            heading = False
        elif kind == "tr_open":
            cells = []
        elif kind == "tr_close":
            blocks.append(Block(ROW, " | ".join(cell for cell in cells or [] if cell)))
            cells = None
        elif kind in ("fence", "code_block"):
            blocks.append(Block(CODE, token.content))
        elif kind == "html_block":
            for line in _html_text(token.content).splitlines():
                if line.strip():
                    blocks.append(Block(PARAGRAPH, line))
        elif kind == "inline":
            text = _inline_text(token)
            if cells is not None:
                cells.append(" ".join(text.split()))
            elif heading:
                blocks.append(Block(HEADING, text))
            elif item_started:
                # The first paragraph of an item carries its marker; later ones are plain lines of the list.
                marker = "" if item_started[-1] else lists[-1]
                item_started[-1] = True
                blocks.append(Block(ITEM, text, marker=marker))
            else:
                blocks.append(Block(PARAGRAPH, text))
    return blocks


def markdown_to_structured_text(markdown: str) -> str:
    return blocks_text(markdown_blocks(markdown))


# --- MediaWiki -----------------------------------------------------------------------------------

_MARK = "\x00"  # starts a line that is a heading, item, row or code line in the rendered stream
_LIST_MARKERS = {"*": "- ", "#": "1. ", ";": "- ", ":": "- "}
_CODE_TAGS = {"pre", "source", "syntaxhighlight"}
_DROPPED_TAGS = {"img", "gallery", "templatestyles"}


class _WikiRenderer:
    def __init__(self):
        self.notes: list[str] = []

    def render(self, wikicode) -> str:
        return "".join(self.node(node) for node in wikicode.nodes)

    def node(self, node) -> str:  # noqa: C901 — one branch per node type reads best here
        import mwparserfromhell.nodes as n

        if isinstance(node, n.Text):
            return str(node.value)
        if isinstance(node, n.HTMLEntity):
            return node.normalize()
        if isinstance(node, n.Heading):
            return f"\n{_MARK}H{_MARK}{' '.join(self.render(node.title).split())}\n"
        if isinstance(node, n.Wikilink):
            return self.render(node.text) if node.text else str(node.title)
        if isinstance(node, n.ExternalLink):
            if node.title:
                return self.render(node.title)
            return "" if node.brackets else str(node.url)
        if isinstance(node, (n.Comment, n.Template, n.Argument)):
            return ""
        if isinstance(node, n.Tag):
            return self.tag(node)
        return ""

    def tag(self, node) -> str:
        name = str(node.tag).lower().strip()
        if node.wiki_markup and name in ("li", "dt", "dd"):
            return f"\n{_MARK}I{_LIST_MARKERS.get(str(node.wiki_markup)[-1], '- ')}{_MARK}"
        if name == "table":
            return self.table(node)
        if name in _CODE_TAGS:
            body = str(node.contents) if node.contents else ""
            return "\n" + "".join(f"{_MARK}C{_MARK}{line}\n" for line in body.splitlines() if line.strip())
        if name == "ref":
            if node.contents:
                self.notes.append(" ".join(self.render(node.contents).split()))
            return ""
        if name == "references":
            return self.flush_notes()
        if name in _DROPPED_TAGS or node.self_closing and name != "br":
            return ""
        if name == "br":
            return " "
        if name == "hr":
            return "\n\n"
        inner = self.render(node.contents) if node.contents else ""
        if name == "sup":
            return f"^{inner}"
        if name in ("p", "div", "blockquote", "center"):
            return f"\n\n{inner}\n\n"
        return inner

    def table(self, node) -> str:
        import mwparserfromhell.nodes as n

        rows: list[list[str]] = [[]]
        for child in node.contents.nodes if node.contents else []:
            if not isinstance(child, n.Tag):
                continue
            name = str(child.tag).lower()
            if name == "tr":
                rows.append([])
                for cell in child.contents.nodes if child.contents else []:
                    if isinstance(cell, n.Tag) and str(cell.tag).lower() in ("td", "th"):
                        rows[-1].append(" ".join(self.render(cell.contents).split()) if cell.contents else "")
            elif name in ("td", "th"):  # cells of a first row written without |-
                rows[-1].append(" ".join(self.render(child.contents).split()) if child.contents else "")
            elif name == "caption" and child.contents:
                rows.insert(0, [" ".join(self.render(child.contents).split())])
        lines = [" | ".join(cell for cell in row if cell) for row in rows]
        return "\n" + "".join(f"{_MARK}R{_MARK}{line}\n" for line in lines if line) + "\n"

    def flush_notes(self) -> str:
        notes, self.notes = self.notes, []
        return "\n\n" + "\n\n".join(notes) + "\n\n" if notes else ""


def mediawiki_blocks(wikitext: str) -> list[Block]:
    import mwparserfromhell

    renderer = _WikiRenderer()
    stream = renderer.render(mwparserfromhell.parse(wikitext)) + renderer.flush_notes()
    blocks: list[Block] = []
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            blocks.append(Block(PARAGRAPH, " ".join(paragraph)))
            paragraph.clear()

    code: list[str] = []

    def end_code() -> None:
        if code:
            blocks.append(Block(CODE, "\n".join(code)))
            code.clear()

    for line in stream.split("\n"):
        if line.startswith(_MARK):
            end_paragraph()
            kind, _, rest = line[1:].partition(_MARK)
            if kind == "C":
                code.append(rest)
                continue
            end_code()
            if kind == "H":
                blocks.append(Block(HEADING, rest))
            elif kind == "R":
                blocks.append(Block(ROW, rest))
            elif kind.startswith("I"):
                # "** item" renders as two markers: the item's text follows the last one.
                while rest.startswith(f"{_MARK}I"):
                    rest = rest.split(_MARK, 2)[-1]
                blocks.append(Block(ITEM, rest, marker=kind[1:]))
            continue
        end_code()
        if not line.strip():
            end_paragraph()
        elif line.startswith((" ", "\t")) and not paragraph:
            code.append(line)  # MediaWiki shows space-indented lines as preformatted text
        else:
            paragraph.append(line.strip())
    end_paragraph()
    end_code()
    return blocks


def mediawiki_to_structured_text(wikitext: str) -> str:
    return blocks_text(mediawiki_blocks(wikitext))
