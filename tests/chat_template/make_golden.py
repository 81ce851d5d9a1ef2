#!/usr/bin/env python3
"""Writes golden.json for tst_chat_template: every template in templates/ rendered over a set of
conversations, plus small feature snippets, by Python jinja2 in the environment transformers uses.

What is mirrored from transformers (utils/chat_template_utils.py, _compile_jinja_template and
apply_chat_template):
  * ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    (transformers also adds its `{% generation %}` tracker; it renders its body unchanged and no
    fixture uses it, so it is left out here);
  * filters["tojson"] = json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...);
  * globals raise_exception(msg) -> TemplateError(msg) and strftime_now(fmt); strftime_now formats a
    fixed time (FIXED_NOW) instead of datetime.now() so the goldens are reproducible;
  * render(messages=..., tools=None, documents=None, add_generation_prompt=..., bos_token=...,
    eos_token=..., **extra variables).

Usage:  pip install jinja2==3.1.6 && python3 make_golden.py   (run from any directory)
"""
import datetime
import json
import pathlib
import random

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = pathlib.Path(__file__).resolve().parent
FIXED_NOW = datetime.datetime(2025, 1, 15, 9, 30, 5)  # a Wednesday


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


class GenerationTag(jinja2.ext.Extension):
    """transformers' AssistantTracker without the index tracking: the body renders unchanged."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def make_env():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: FIXED_NOW.strftime(fmt)
    return env


ENV = make_env()


def render(source, variables):
    """Returns ("ok", text) or ("error", kind, message); kind "raise" marks raise_exception."""
    try:
        return {"expected": ENV.from_string(source).render(**variables)}
    except jinja2.exceptions.TemplateSyntaxError as e:
        return {"error": "syntax", "message": str(e), "line": e.lineno}
    except jinja2.exceptions.UndefinedError as e:
        return {"error": "undefined", "message": str(e)}
    except jinja2.exceptions.TemplateError as e:
        if type(e) is jinja2.exceptions.TemplateError:  # what raise_exception raises
            return {"error": "raise", "message": str(e)}
        return {"error": "runtime", "message": f"{type(e).__name__}: {e}"}
    except Exception as e:  # TypeError, ZeroDivisionError, SecurityError, ...
        return {"error": "runtime", "message": f"{type(e).__name__}: {e}"}


# Tokens as each model's tokenizer_config.json names them.
TOKENS = {
    "chatml": ("<s>", "</s>"),
    "gemma-2": ("<bos>", "<eos>"),
    "gemma-3": ("<bos>", "<eos>"),
    "hermes-3-tool-use": ("<|begin_of_text|>", "<|im_end|>"),
    "llama-3.1": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama-3.2": ("<|begin_of_text|>", "<|eot_id|>"),
    "mistral-nemo": ("<s>", "</s>"),
    "mistral-v0.2": ("<s>", "</s>"),
    "phi-3.5": ("<s>", "<|endoftext|>"),
    "qwen-2.5": ("", "<|im_end|>"),
    "qwen-3": ("", "<|im_end|>"),
    "smollm2": ("<|im_start|>", "<|im_end|>"),
    "zephyr": ("<s>", "</s>"),
}

TOOLS = [{
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The city and country, e.g. Paris, France"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Temperature unit"},
            },
            "required": ["location"],
        },
    },
}]

TRICKY = "  Grüße, 世界! 👋🏽 café\n\tLine two has \"double\" and 'single' quotes, {{ braces }}, {% tags %} & <tags>.\n\n  "

# Every message starts with role and content: ChatMessage puts them first, extra keys after.
CONVERSATIONS = {
    "single": ([{"role": "user", "content": "Hello!"}], {}),
    "system_user": ([
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is 2+2?"},
    ], {}),
    "multi_turn": ([
        {"role": "system", "content": "You are a terse assistant.\nAnswer in one line."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Name a colour."},
        {"role": "assistant", "content": "Blue."},
        {"role": "user", "content": "Another one?"},
    ], {}),
    "no_system_multi": ([
        {"role": "user", "content": "Ping"},
        {"role": "assistant", "content": "Pong"},
        {"role": "user", "content": "Again"},
    ], {}),
    "tricky_content": ([
        {"role": "system", "content": "  Be careful with \\ backslashes and \"quotes\".  "},
        {"role": "user", "content": TRICKY},
        {"role": "assistant", "content": "  {\"json\": [1, 2.5, null]} \\n isn't a newline  \n"},
        {"role": "user", "content": "\n\nemoji only: 🎉🧪\n"},
    ], {}),
    "ends_with_assistant": ([
        {"role": "user", "content": "Write a haiku."},
        {"role": "assistant", "content": "Autumn moonlight—"},
    ], {}),
    "consecutive_users": ([
        {"role": "user", "content": "First"},
        {"role": "user", "content": "Second"},
    ], {}),
    "empty": ([], {}),
    "tools": ([
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "call12345", "type": "function", "function": {
            "name": "get_current_weather", "arguments": {"location": "Paris, France", "unit": "celsius"}}}]},
        {"role": "tool", "content": "{\"temperature\": 22, \"unit\": \"celsius\"}", "tool_call_id": "call12345"},
        {"role": "assistant", "content": "It is 22 °C in Paris."},
        {"role": "user", "content": "Thanks! And in Tokyo?"},
    ], {"tools": TOOLS}),
    "thinking": ([
        {"role": "user", "content": "What is 6*7?"},
        {"role": "assistant", "content": "<think>\nSix sevens.\n</think>\n\n42."},
        {"role": "user", "content": "And 6*8?"},
    ], {"enable_thinking": False, "date_string": "01 Feb 2025"}),
}


def template_cases():
    cases = []
    for path in sorted((HERE / "templates").glob("*.jinja")):
        name = path.stem
        source = path.read_text(encoding="utf-8")
        bos, eos = TOKENS[name]
        for conv_name, (messages, extra) in CONVERSATIONS.items():
            for gen in (True, False):
                variables = {"messages": messages, "tools": None, "documents": None,
                             "add_generation_prompt": gen, "bos_token": bos, "eos_token": eos, **extra}
                case = {"name": f"{name}/{conv_name}/{'gen' if gen else 'nogen'}", "template": path.name,
                        "messages": json.dumps(messages, ensure_ascii=False),
                        "variables": json.dumps(extra, ensure_ascii=False),
                        "add_generation_prompt": gen, "bos_token": bos, "eos_token": eos}
                case.update(render(source, variables))
                cases.append(case)
    return cases


SNIPPET_VARS = {
    "d": {"a": 1, "b": [1, 2.5, None, True, "x"], "nested": {"k": "v"}},
    "users": [{"name": "ann", "age": 31, "role": "user"}, {"name": "bob", "age": 25, "role": "admin"},
              {"name": "cy", "role": "user"}],
    "s": "  Hello, World!  ",
    "n": 7,
    "f": 2.5,
    "empty": [],
    "u8": "héllo wörld ✓",
}

# Feature snippets: each is rendered with SNIPPET_VARS and the transformers defaults.
SNIPPETS = [
    # whitespace control, trim_blocks and lstrip_blocks
    "a\n  {% if true %}\n  b\n  {% endif %}\nc",
    "a  {%- if true -%}  b  {%- endif -%}  c",
    "a\n    {%+ if true %}b{% endif +%}\nc",
    "{# comment #}\nx\n  {#- inner -#}  y",
    "{{ 1 }}\n{{ 2 }}\n",
    "{{- ' a ' -}}\n\n  {{ 'b' }}  \n",
    "  {% for i in [1, 2] %}\n    {{ i }}\n  {% endfor %}\n",
    "x {% if true %}\n y{% endif %}\n",
    "line1\r\nline2\r\n{% if true %}\r\nline3\r\n{% endif %}\r\n",
    "{% if true %}   \n  keep  {% endif %}",
    "\t{% set x = 1 %}\tafter",
    # literals and escapes
    "{{ 'it\\'s' }}|{{ \"say \\\"hi\\\"\" }}|{{ 'tab\\tnl\\nuni\\u00e9\\x41\\d' }}|{{ 'a' 'b' \"c\" }}",
    "{{ 42 }}|{{ -3 }}|{{ 1.5 }}|{{ 1e3 }}|{{ 1_000 }}|{{ true }}|{{ False }}|{{ none }}|{{ None }}",
    "{{ [1, 'a', none, true, 2.0] }}|{{ (1, 2) }}|{{ (1,) }}|{{ {'k': 'v', 'n': [1]} }}|{{ [] }}|{{ {} }}",
    "{{ \"it's\" ~ [\"it's\", 'say \"x\"'] }}",
    # attribute and item access, slicing
    "{{ d.a }}|{{ d['b'][1] }}|{{ d.b[-1] }}|{{ d.nested.k }}|{{ d['nested']['k'] }}|{{ d.b.2 }}",
    "{{ d.missing }}|{{ d.missing is defined }}|{{ d['missing'] is undefined }}|{{ d.b[10] is defined }}",
    "{{ d.b[1:3] }}|{{ d.b[::-1] }}|{{ d.b[:-2] }}|{{ d.b[-2:] }}|{{ d.b[::2] }}|{{ u8[1:4] }}|{{ u8[::-1] }}|{{ u8[-1] }}",
    "{{ users[0].name }}|{{ users[-1]['name'] }}|{{ users[1:] | map(attribute='name') | join(',') }}",
    # arithmetic and operators
    "{{ 7 + 3 }}|{{ 7 - 10 }}|{{ 7 * 3 }}|{{ 7 / 2 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ 7 % 3 }}|{{ -7 % 3 }}|{{ 2 ** 10 }}|{{ 2 ** -1 }}",
    "{{ 1 + 2.5 }}|{{ 0.1 + 0.2 }}|{{ 10 / 4 }}|{{ 1e16 }}|{{ 1e-5 }}|{{ 123456.789 }}|{{ 3.0 }}|{{ -0.0 }}|{{ 2.5 // 1 }}",
    "{{ 'a' + 'b' }}|{{ 'ab' * 3 }}|{{ [1] + [2] }}|{{ [0] * 3 }}|{{ 'x' ~ 1 ~ none ~ true ~ 2.0 }}",
    "{{ 1 == 1.0 }}|{{ 'a' != 'b' }}|{{ 1 < 2 < 3 }}|{{ 3 > 2 > 2 }}|{{ 'abc' < 'abd' }}|{{ [1, 2] < [1, 3] }}|{{ true == 1 }}",
    "{{ 'a' in 'cat' }}|{{ 2 in [1, 2] }}|{{ 'a' in d }}|{{ 'z' not in d }}|{{ 3 not in [1] }}|{{ 'x' in empty }}",
    "{{ true and 'yes' }}|{{ false or 'fallback' }}|{{ not none }}|{{ 0 or '' or 'last' }}|{{ 1 and 0 }}|{{ not d.missing }}",
    "{{ 'yes' if n > 5 else 'no' }}|{{ 'yes' if n > 50 }}|{{ 'a' if false else 'b' if false else 'c' }}",
    "{{ -n }}|{{ +n }}|{{ -f }}|{{ - 2 ** 2 }}|{{ (1 + 2) * 3 }}|{{ 1 + 2 * 3 }}|{{ 2 * 3 ~ 4 }}",
    # tests
    "{{ n is defined }}|{{ nope is defined }}|{{ nope is undefined }}|{{ none is none }}|{{ n is not none }}",
    "{{ s is string }}|{{ n is string }}|{{ d is mapping }}|{{ users is mapping }}|{{ users is iterable }}|{{ s is iterable }}|{{ n is iterable }}",
    "{{ users is sequence }}|{{ d is sequence }}|{{ n is number }}|{{ f is number }}|{{ true is number }}|{{ n is integer }}|{{ f is float }}",
    "{{ true is true }}|{{ 1 is true }}|{{ false is false }}|{{ true is boolean }}|{{ n is odd }}|{{ n is even }}|{{ 9 is divisibleby 3 }}|{{ 9 is divisibleby(4) }}",
    "{{ 'a' is equalto 'a' }}|{{ n is eq 7 }}|{{ n is ne 7 }}|{{ n is gt 3 }}|{{ n is lt 3 }}|{{ n is ge 7 }}|{{ n is le 6 }}|{{ 2 is in [1, 2] }}",
    "{{ range is callable }}|{{ n is callable }}|{{ 'abc' is lower }}|{{ 'ABC' is upper }}|{{ nope is iterable }}|{{ nope is sequence }}",
    # filters
    "[{{ s | trim }}]|[{{ 'xxhixx' | trim('x') }}]|{{ s | length }}|{{ u8 | length }}|{{ users | count }}|{{ d | length }}",
    "{{ 'hello world' | upper }}|{{ 'HeLLo' | lower }}|{{ 'hello wORLD 2nd-try' | title }}|{{ 'hELLO wORLD' | capitalize }}",
    "{{ nope | default('dflt') }}|{{ none | default('dflt') }}|{{ '' | default('dflt', true) }}|{{ 0 | d('z', boolean=true) }}|{{ 'set' | default('x') }}",
    "{{ [1, 2, 3] | join }}|{{ [1, 2, 3] | join(', ') }}|{{ users | join(' / ', attribute='name') }}|{{ 'abc' | join('-') }}",
    "{{ d | tojson }}|{{ users | tojson }}|{{ 'é\"\\n<' | tojson }}|{{ [1.0, 2.50, 1e20, none, false] | tojson }}",
    "{{ d | tojson(indent=2) }}|{{ d.nested | tojson(indent=4) }}|{{ [] | tojson(indent=2) }}|{{ d | tojson(sort_keys=true) }}",
    "{{ d | tojson(separators=(',', ':')) }}|{{ users[0] | tojson(indent='\\t') }}|{{ 'ü' | tojson(ensure_ascii=true) }}",
    "{{ [3, 1, 2] | first }}|{{ [3, 1, 2] | last }}|{{ 'abc' | first }}|{{ empty | first is defined }}|{{ [3, 1, 2] | list }}|{{ 'ab' | list }}",
    "{{ d | items | list }}|{% for k, v in d | items %}{{ k }}={{ v }};{% endfor %}|{{ nope | items | list }}",
    "{{ n | string }}|{{ [1, 'a'] | string }}|{{ '42' | int + 1 }}|{{ '4.7' | int }}|{{ 'x' | int }}|{{ 'x' | int(5) }}|{{ 3.9 | int }}|{{ ' 12 ' | int }}",
    "{{ '2.5' | float }}|{{ 3 | float }}|{{ 'bad' | float }}|{{ n | abs }}|{{ -2.5 | abs }}|{{ 2.567 | round(2) }}|{{ 2.5 | round }}",
    "{{ 'a-b-c' | replace('-', '+') }}|{{ 'aaa' | replace('a', 'b', 2) }}|{{ s | replace(' ', '') }}",
    "{{ 'a\\nb\\n\\nc' | indent }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(width='>', blank=true) }}",
    "{{ users | selectattr('role', 'equalto', 'user') | map(attribute='name') | list }}|{{ users | rejectattr('role', 'equalto', 'user') | map(attribute='name') | list }}",
    "{{ users | selectattr('age') | map(attribute='name') | join }}|{{ users | map(attribute='age', default=0) | list }}|{{ users | map(attribute='name') | map('upper') | list }}",
    "{{ [1, 2, 3, 4] | select('odd') | list }}|{{ [1, 2, 3, 4] | reject('odd') | list }}|{{ [0, 1, '', 'a'] | select | list }}|{{ [1, 5, 9] | select('gt', 4) | list }}",
    "{{ [3, 1, 2] | sort }}|{{ ['b', 'A', 'c'] | sort }}|{{ [3, 1, 2] | sort(reverse=true) }}|{{ users | sort(attribute='name', reverse=true) | map(attribute='name') | join }}",
    "{{ [1, 2, 1, 3] | unique | list }}|{{ [1, 2, 3] | reverse | list }}|{{ 'abc' | reverse }}|{{ [1, 2, 3] | sum }}|{{ [3, 1, 2] | max }}|{{ [3, 1, 2] | min }}",
    "{{ '<a href=\"x\">&</a>' | e }}|{{ 'x' | safe }}|{{ d | dictsort }}",
    # string and dict methods
    "[{{ s.strip() }}]|[{{ s.lstrip() }}]|[{{ s.rstrip() }}]|[{{ 'xxhixx'.strip('x') }}]|[{{ '\\n\\nhi\\n'.lstrip('\\n') }}]",
    "{{ 'a b  c'.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a b c'.split(' ', 1) }}|{{ ' x y '.split() }}|{{ 'l1\\nl2\\r\\nl3'.splitlines() }}",
    "{{ 'hello'.startswith('he') }}|{{ 'hello'.endswith('lo') }}|{{ 'hello'.startswith(('x', 'h')) }}|{{ 'hello'.upper() }}|{{ 'HeLLo'.lower() }}",
    "{{ 'a-b'.replace('-', '+') }}|{{ 'hello world'.title() }}|{{ 'hello'.capitalize() }}|{{ ', '.join(['a', 'b']) }}|{{ 'hello'.find('l') }}|{{ 'hello'.count('l') }}",
    "{{ d.get('a') }}|{{ d.get('zz') }}|{{ d.get('zz', 'dflt') }}|{{ d.keys() | list }}|{{ d.values() | list | length }}|{% for k, v in d.items() %}{{ k }};{% endfor %}",
    "{{ [1, 2, 2].count(2) }}|{{ [1, 2, 3].index(3) }}|{{ 'x'.upper is defined }}|{{ 'x'.nope is defined }}",
    # for loops
    "{% for x in [10, 20, 30] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
    "{% for x in [1, 2, 3] %}{{ loop.previtem }}-{{ loop.nextitem }}|{% endfor %}{% for x in 'ab' %}{{ loop.cycle('odd', 'even') }}{% endfor %}",
    "{% for x in [] %}never{% else %}empty{% endfor %}|{% for x in nope %}never{% else %}undefined is empty{% endfor %}",
    "{% for x in range(10) if x is odd %}{{ x }}{{ ',' if not loop.last }}{% endfor %}|{{ loop is defined }}",
    "{% for k in d %}{{ k }}{% endfor %}|{% for c in 'héy' %}[{{ c }}]{% endfor %}|{% for a, b in [[1, 2], (3, 4)] %}{{ a + b }}{% endfor %}",
    "{% for x in range(5) %}{% if x == 3 %}{% break %}{% endif %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %}",
    "{% for i in range(2) %}{% for j in range(2) %}{{ i }}{{ j }}{{ loop.index }} {% endfor %}{{ loop.index }}|{% endfor %}",
    "{{ range(3) | list }}|{{ range(1, 7, 2) | list }}|{{ range(5, 0, -2) | list }}|{{ range(0) | list }}",
    # set, scoping, namespace, macro
    "{% set x = 1 %}{% for i in [1, 2, 3] %}{{ x }}{% set x = x + i %}{{ x }};{% endfor %}{{ x }}",
    "{% set ns = namespace(total=0, items=[]) %}{% for i in [1, 2, 3] %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}|{{ ns.items }}|{{ ns.nope is defined }}",
    "{% set ns = namespace() %}{% set ns.found = false %}{% for u in users %}{% if u.role == 'admin' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}|{% set t = (1, 2) %}{{ t }}|{% set block %}  inside {{ n }}\n{% endset %}[{{ block }}]",
    "{% if true %}{% set inner = 'visible' %}{% endif %}{{ inner }}|{% for i in [1] %}{% set hidden = 'no' %}{% endfor %}{{ hidden is defined }}",
    "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }}|{{ greet('Bob', '?') }}|{{ greet(name='Cy', punct='.') }}|{{ greet() }}",
    "{% macro fact(k) %}{{ 1 if k <= 1 else k * (fact(k - 1) | int) }}{% endmacro %}{{ fact(5) }}",
    "{% set y = 5 %}{% macro show() %}{{ y }}{% endmacro %}{% set y = 6 %}{{ show() }}|{% for y in [7] %}{{ show() }}{% endfor %}",
    "{% generation %}tracked {{ n }}{% endgeneration %}",
    "{{ dict(a=1, b='x') }}|{{ namespace(a=1).a }}|{{ strftime_now('%d %b %Y %H:%M:%S %A %B %j %y %m') }}",
    # errors
    "{{ raise_exception('custom failure: ' ~ n) }}",
    "{% if messages | length == 0 %}{{ raise_exception('No messages!') }}{% endif %}",
    "{{ nope.attr }}",
    "{{ d.missing.deeper }}",
    "{{ nope['k'] }}",
    "{{ 1 + 'a' }}",
    "{{ 'a' + 1 }}",
    "{{ n / 0 }}",
    "{{ n // 0 }}",
    "{{ nope + 1 }}",
    "{{ d | tojson(indent=nope2) }}{{ nope | tojson }}",
    "{{ nope() }}",
    "{{ n() }}",
    "{% for x in n %}{% endfor %}",
    "{% set a, b = [1, 2, 3] %}",
    "{% set n.attr = 1 %}",
    "{{ range(1000000) | length }}",
    "{{ 'a' < 1 }}",
    "{{ [1].append(2) }}",
    "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}",
    # syntax errors (the line number must match)
    "line1\n{% if true %}\nno end",
    "{{ 1 + }}",
    "a\nb\n{{ x | nosuchfilter }}",
    "{{ x is nosuchtest }}",
    "{% for %}{% endfor %}",
    "{% endif %}",
    "{{ 'unterminated }}",
    "{% foo %}",
    "{# unterminated comment",
    "{{ x }",
    "{% if true %}{% else %}{% elif false %}{% endif %}",
    "{{ (1, 2 }}",
    "{% set %}",
    "{% macro m(a %}{% endmacro %}",
]


def whitespace_fuzz(rng):
    """Random mixes of tags, modifiers and surrounding whitespace, for trim_blocks/lstrip_blocks."""
    parts, depth = [], 0
    for _ in range(rng.randint(3, 12)):
        parts.append(rng.choice(["", " ", "  ", "\n", " \n ", "\t", "\n\n", "\n  ", "a", "b\n", " c ", "\u00a0\n "]))
        left, right = rng.choice(["", "-", "+"]), rng.choice(["", "-", "+"])
        pick = rng.random()
        if pick < 0.25:
            parts.append("{%" + left + " if true " + right + "%}")
            depth += 1
        elif pick < 0.4 and depth:
            parts.append("{%" + left + " endif " + right + "%}")
            depth -= 1
        elif pick < 0.6:
            parts.append("{{" + rng.choice(["", "-"]) + " 'v' " + rng.choice(["", "-"]) + "}}")
        elif pick < 0.75:
            parts.append("{#" + left + " c " + right + "#}")
        elif pick < 0.85:
            parts.append("{%" + left + " set x = 1 " + right + "%}")
        else:
            parts.append("{%" + left + " for i in [1, 2] " + right + "%}" + rng.choice(["", "\n", " "]) + "{{ i }}" +
                         rng.choice(["", "\n  "]) + "{%" + rng.choice(["", "-"]) + " endfor " + rng.choice(["", "-", "+"]) + "%}")
    while depth:
        parts.append(rng.choice(["", "\n", " "]) + "{% endif %}")
        depth -= 1
    parts.append(rng.choice(["", "\n", " \n", "\n\n"]))
    return "".join(parts)


def expression_fuzz(rng, depth=0):
    """Random expressions over mixed types, for precedence and Python operator semantics."""
    atoms = ["1", "2", "3", "-1", "0", "2.5", "n", "f", "'a'", "'bc'", "true", "false", "none", "[1, 2]",
             "d.a", "nope", "s", "(1, 'x')", "{'k': 1}", "users[0].age", "empty"]
    if depth > 2 or rng.random() < 0.25:
        return rng.choice(atoms)
    a, b = expression_fuzz(rng, depth + 1), expression_fuzz(rng, depth + 1)
    form = rng.choice(["{a} {op} {b}", "({a}) {op} ({b})", "not {a}", "{a} if {b} else {c}", "{a} | {flt}",
                       "{a} is {tst}", "-{a}", "{a} in {b}", "{a}[{b}]", "[{a}, {b}]"])
    op = rng.choice(["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", ">", "<=", ">=", "and", "or", "**"])
    flt = rng.choice(["length", "string", "first", "last", "trim", "upper", "default('z')", "list", "int", "float",
                      "tojson", "join('-')", "abs", "count"])
    tst = rng.choice(["defined", "none", "string", "number", "iterable", "mapping", "sequence", "odd", "true"])
    return form.format(a=a, b=b, c=expression_fuzz(rng, depth + 1), op=op, flt=flt, tst=tst)


def snippet_cases():
    rng = random.Random(20250115)
    sources = list(SNIPPETS)
    sources += [whitespace_fuzz(rng) for _ in range(150)]
    sources += ["{{ " + expression_fuzz(rng) + " }}" for _ in range(250)]
    cases = []
    for index, source in enumerate(sources):
        variables = {"messages": [], "tools": None, "documents": None, "add_generation_prompt": True,
                     "bos_token": "", "eos_token": "", **SNIPPET_VARS}
        case = {"name": f"snippet-{index:03d}", "source": source}
        case.update(render(source, variables))
        cases.append(case)
    return cases


def main():
    golden = {
        "generator": f"make_golden.py with jinja2 {jinja2.__version__}",
        "now": FIXED_NOW.isoformat(),
        "snippetVariables": json.dumps(SNIPPET_VARS, ensure_ascii=False),
        "templates": template_cases(),
        "snippets": snippet_cases(),
    }
    out = HERE / "golden.json"
    out.write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    ok = sum(1 for c in golden["templates"] + golden["snippets"] if "expected" in c)
    print(f"wrote {out}: {len(golden['templates'])} template cases, {len(golden['snippets'])} snippets, {ok} render")


if __name__ == "__main__":
    main()
