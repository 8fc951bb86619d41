"""Issue 10, fault 7: every character a user can type or paste is drawn in a document.

A broad sample of scripts and symbols goes into a hazard notice (the real template, the real
sandboxed renderer). Then: WeasyPrint reports no missing glyph (".notdef"), every font embedded
in the PDF is one of the document font stack (org.pdfsandbox.FONT_FAMILIES, installed by
scripts/system_deps.sh; not some font that happens to be on this machine), each character of the
sample maps to a glyph in one of those fonts (fontTools on the installed font files), and the
text comes back out of the PDF as typed. Plain digits must not come from the emoji font (they
did when it was listed in the stack), which the layout tests' digit widths would show."""

import datetime
import logging
import shutil
import subprocess
import unicodedata

import pytest

from hazards.documents import render_notice_pdf
from hazards.models import Notice
from org.pdfsandbox import EMOJI_FAMILY, FONT_FAMILIES
from tests.hazards.factories import RiskCategoryFactory, register, today

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not shutil.which("pdffonts") or not shutil.which("fc-match"),
                                 reason="poppler-utils / fontconfig not installed")]

SAMPLE = {
    "Latin with diacritics": "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿĀāĂăĄąĆćČčĎďĐđĒēĘęĚ"
                             "ěĞğĪīıŁłŃńŇňŌōŐőŒœŘřŚśŞşŠšŢţŤťŪūŮůŰűŸŹźŻżŽžǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜẞạếữỳ Tiếng Việt",
    "combining marks": "e\u0301 a\u0308 n\u0303",
    "Greek": "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩαβγδεζηθικλμνξοπρςστυφχψωάέήίόύώϊϋΐΰ",
    "Cyrillic": "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюяЇїЄєҐґІіЎў",
    "CJK": "隐患排查治理整改验收销号督导告知书龍齒體鬱爨纛ひらがなカタカナ한국어",
    "CJK extension A": "㐀㐁㑇㓥㔾㖞㙟㛃㟃㠓㤅㦰㨳㫰㮾㱃㵎㸚㹴㺄䀹䁖䂮䃅䅟䇭䌷䎃䏝䓨䗖䘚䜣䝼䡵䥽䦃䦅䲟䴉䶮䶵䶶䶿",
    "CJK extension B (names)": "𠀀𠮷𡈽𢫦𤭢𪚥",
    "full-width punctuation": "，。、；：？！“”‘’（）【】《》〈〉「」『』〔〕——……·～￥％＃＠＆＊＋－＝／＼｜"
                              "０１２３ＡＢＣａｂｃ〇",
    "enclosed and numerals": "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳⑴⑵⑶⒈⒉⒊㈠㈡㈢㊀㊁ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫⅰⅱⅲⅳ❶❷❸",
    "units and signs": "℃℉㎡㎥㎏㎎㎜㎝㎞㏄‰‱±×÷°′″ΩµÅ№™©®§¶†‡•€£¥¢₹₽₩",
    "arrows": "←↑→↓↔↕↖↗↘↙⇐⇑⇒⇓⇔⇦⇨➔➜➡⬅⬆⬇↺↻",
    "box drawing and shapes": "─│┌┐└┘├┤┬┴┼═║╔╗╚╝╠╣╦╩╬█▓▒░▀▄■□▪▫▲△▼▽◆◇○●◎◯★☆",
    "mathematics": "∀∂∃∄∅∆∇∈∉∋∏∑−∓√∛∜∝∞∟∠∥∧∨∩∪∫∬∮∴∵≈≠≡≤≥≪≫⊂⊃⊆⊇⊕⊗⊥⋅⌀²³¹⁴⁵₀₁₂₃½¼¾⅓⅔⅛",
    "marks": "✓✔✗✘☐☑☒☎✉✂✈☀☁☂☃⚙⚠⚡⛔",
    "emoji": "😀😂🙂👍🙏🔥✅❌❗❓📷📎📌🚧💡🔌🏭🚨🛑👷🧯🔧🔩⚠️⚡️✔️",
    "Arabic": "مرحبا بالعالم",
    "Hebrew": "שלום עולם",
    "Thai and Devanagari": "ภาษาไทย हिन्दी",
}
# Characters that are not drawn by design (joiners, marks shaped onto their base, spaces).
NOT_DRAWN = {"Mn", "Me", "Cf", "Zs", "Cc"}


def installed_font_cmaps() -> dict[str, set[int]]:
    """{family: code points} of each font of the stack, from the file fontconfig picks for it."""
    from fontTools.ttLib import TTCollection, TTFont

    cmaps = {}
    for family in FONT_FAMILIES:
        out = subprocess.run(["fc-match", "-f", "%{family}|%{file}|%{index}", family], capture_output=True,
                             text=True, check=True).stdout
        matched, path, index = out.split("|")
        assert family.lower() in matched.lower(), f"{family} is not installed (fc-match gives {matched})"
        font = TTCollection(path)[int(index)] if path.endswith((".ttc", ".otc")) else TTFont(path, lazy=True)
        cmaps[family] = set(font.getBestCmap())
    return cmaps


def test_every_sample_character_has_a_glyph_in_the_font_stack():
    cmaps = installed_font_cmaps()
    missing = [f"{name}: {char!r} U+{ord(char):04X}" for name, text in SAMPLE.items() for char in text
               if unicodedata.category(char) not in NOT_DRAWN and not any(ord(char) in c for c in cmaps.values())]
    assert missing == []


@pytest.fixture
def sample_notice(site_a, manager_a):
    category = RiskCategoryFactory(code="ELEC", name="电气")
    lines = "\n".join(f"{name}: {text}" for name, text in SAMPLE.items())
    hazard = register(site=site_a, by=manager_a, category=category, description=lines[:2000],
                      location="一号配电室 ①号柜 ℃ ±5%", required_measures="→ 检查 ✓ ≤ 2 ㎡ 😀")
    notice = Notice(kind=Notice.Kind.HAZARD, number="GZ-TEST-00001", site=site_a, unit=site_a.unit,
                    addressee="王建国 ①", deadline=today() + datetime.timedelta(days=10), language="zh-hans",
                    issued_by=manager_a)
    return notice, [hazard], lines


def test_a_notice_draws_every_sample_character(sample_notice, tmp_path, caplog):
    notice, hazards, lines = sample_notice
    assert len(lines) <= 2000  # the whole sample fits in one description
    with caplog.at_level(logging.WARNING, logger="org.documents"):
        data = render_notice_pdf(notice, hazards)
    path = tmp_path / "sample.pdf"
    path.write_bytes(data)

    # No glyph was missing from every font (WeasyPrint then draws .notdef and says so).
    assert ".notdef" not in caplog.text, caplog.text
    assert "glyphs missing" not in caplog.text, caplog.text

    # Every embedded font is one of our stack (or the colour emoji font Pango draws emoji runs
    # with): nothing fell back to a font we do not install.
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    embedded = [line.split()[0].split("+", 1)[-1] for line in out.splitlines()[2:]]
    stack = [family.replace(" ", "-").lower() for family in (*FONT_FAMILIES, EMOJI_FAMILY)]
    strays = [name for name in embedded if not any(name.lower().startswith(family) for family in stack)]
    assert strays == [], embedded
    assert len(embedded) >= 5  # the sample really needs several fonts of the stack

    # Every character is in the PDF's text (left-to-right scripts; pdftotext reorders right-to-left ones).
    # The CJK font draws "•" and "·" with one glyph, which the PDF maps back to the first of them.
    text = "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                  check=True).stdout.split()).replace("•", "·")
    for name, sample in SAMPLE.items():
        if name in ("Arabic", "Hebrew", "combining marks", "emoji", "Thai and Devanagari"):
            continue
        # Character by character: pdftotext may interleave a neighbouring column mid-line.
        missing = [char for char in "".join(sample.split()).replace("•", "·") if char not in text]
        assert missing == [], name
