"""The reprint-proof token fingerprint of JavaScript (pkgscan.inventory.jstokens).

Each pair below is a module as published and as esbuild 0.24 printed it in the esbuild-cdk sample
(sample_packages/bundles/esbuild-cdk.zip, non-minified): the fingerprint must be the same, and
must change when the program does.
"""
from __future__ import annotations

import time

import pytest

from pkgscan.inventory.jstokens import MAX_TOKENS, fingerprint, tokens

WRAP = 'var require_x = __commonJS({\n  "node_modules/x/index.js"(exports2, module2) {\n%s\n  }\n});\n'


@pytest.mark.parametrize("published,printed", [
    # quotes, escapes, comments, semicolons, indentation
    ("'use strict'\n// a comment\nvar a = 'it\\'s' /* here */\nmodule.exports = a",
     '    var a = "it\'s";\n    module2.exports = a;'),
    # numbers in their shortest form; undefined as void 0; +1 without the sign
    ("var s = 1000, y = 365.25, h = 0x10\nif (x === undefined) return +1",
     "    var s = 1e3, y = 365.25, h = 16;\n    if (x === void 0) return 1;"),
    # var a, b split; a for loop's var moved after the loop
    ("var a = 1, b = 2\nfor (var i = 0; i < 3; i++) f(i)",
     "    var a = 1;\n    var b = 2;\n    for (i = 0; i < 3; i++) f(i);\n    var i;"),
    # require of a bundled module; node builtins stay
    ("var jws = require('jws')\nvar c = require('crypto')",
     '    var jws = require_jws();\n    var c = require("crypto");'),
    # object shorthand; string concatenation folded; top-level this is exports
    ("module.exports = { header: header, payload: payload }\nvar r = '(' + x + ')\\\\.' + '('\nthis.a = 1",
     '    module2.exports = { header, payload };\n    var r = "(" + x + ")\\\\.(";\n    exports2.a = 1;'),
    # a top-level class becomes a class expression with a renamed binding; const becomes var
    ("const Blob = 1\nclass Body { m() { return new Blob } }",
     "    var Blob = 1;\n    var Body = class _Body {\n      m() {\n        return new Blob();\n      }\n    };"),
    # a template literal without substitutions may be printed as a string, and back
    ("var t = `plain`, u = `a${b}c`", '    var t = "plain", u = `a${b}c`;'),
])
def test_esbuild_reprints_keep_the_fingerprint(published, printed):
    assert fingerprint(published) == fingerprint(WRAP % printed, bundled=True)


@pytest.mark.parametrize("a,b", [
    ("var a = 1", "var a = 2"),
    ("x = 'abc'", "x = 'abd'"),
    ("if (a) b()", "if (!a) b()"),
    ("x = /ab+/g.test(y)", "x = /ab*/g.test(y)"),
    ("f(`a${b}c`)", "f(`a${b}d`)"),
])
def test_a_different_program_has_another_fingerprint(a, b):
    assert fingerprint(a) != fingerprint(b)


def test_regular_expressions_and_divisions_are_told_apart():
    toks = tokens("a = b / c / d; e = /x[/]y/gi.exec(f); g = (h) / 2; return /z/")
    assert ("re", "/x[/]y/gi") in toks and ("re", "/z/") in toks
    assert sum(1 for t in toks if t == ("p", "/")) == 3


def test_nested_templates():
    toks = tokens("x = `a${ `b${c}d` }e${ {k: 1}.k }f`")
    kinds = [t for t in toks if t[0] in ("tpl", "tplc")]
    assert kinds == [("tpl", "a"), ("tpl", "b"), ("tplc", "d"), ("tplc", "e"), ("tplc", "f")]


def test_unwrapping_only_the_module_body():
    body = "    var a = 1;\n    module2.exports = a;"
    assert fingerprint(WRAP % body, bundled=True) == fingerprint("var a = 1\nmodule.exports = a")
    assert fingerprint(WRAP % body, bundled=True) != fingerprint(WRAP % body)


@pytest.mark.parametrize("text", [
    "(/[" * 200_000,               # regular expressions that never end, on one line
    "a = '" + "x" * 1_000_000,      # a string that never ends
    "/*" + "*" * 1_000_000,         # a comment that never ends
    "`${" * 100_000,                # templates that never end
    "\\u{" * 200_000,               # broken escapes
])
def test_pathological_text_is_bounded(text):
    started = time.process_time()
    fingerprint(text)
    assert time.process_time() - started < 20  # a bound against quadratic scans, not a speed test


def test_too_many_tokens_give_no_fingerprint():
    assert tokens("a;" * (MAX_TOKENS + 10)) is None
    assert fingerprint("a;" * (MAX_TOKENS + 10)) is None


def test_kept_comments_have_the_same_key_inline_and_in_esbuilds_end_of_file_block():
    from pkgscan.inventory.jstokens import legal_key

    published = "/**\n * @license\n * Lodash <https://lodash.com/>\n * Released under MIT license\n */"
    at_eof = "(**\n   * @license\n   * Lodash <https://lodash.com/>\n   * Released under MIT license\n   *)"
    assert legal_key(published) == legal_key(at_eof)
    assert legal_key("//! moment.js") == legal_key("(*! moment.js *)") == legal_key("/*! moment.js */")
    assert legal_key("/*! version : 2.29.1 */") != legal_key("/*! version : 2.29.2 */")


def test_kept_comments_are_collected_and_comment_lookalikes_in_strings_are_not():
    found: list[str] = []
    tokens("/*! a v1 */\nvar s = '/*! not a comment */';\n// plain\n//! kept\n/* @license MIT */", found)
    assert found == ["/*! a v1 */", "//! kept", "/* @license MIT */"]


def test_unicode_spaces_and_a_byte_order_mark_are_not_names():
    assert tokens("\ufeffvar\u00a0a\u2028=\u3000b") == [("id", "var"), ("id", "a"), ("p", "="), ("id", "b")]
    assert tokens("var caf\u00e9 = 1") == [("id", "var"), ("id", "caf\u00e9"), ("p", "="), ("num", "n:1")]


@pytest.mark.parametrize("published,printed", [
    # esbuild 0.28 (debug 4.3.4, async 3.2.4): a renamed binding keeps its key, { a } becomes { a: a2 }
    ("const {namespace: name, useColors} = this; results.push({index, value: x})",
     "    const { namespace: name, useColors: useColors2 } = this;\n    results.push({ index: index2, value: x });"),
    # side-channel-map 1.0.1: void undefined is printed void 0
    ("var $m = void undefined;", "    var $m = void 0;"),
])
def test_esbuild_028_reprints_keep_the_fingerprint(published, printed):
    assert fingerprint(published) == fingerprint(WRAP % printed, bundled=True)
