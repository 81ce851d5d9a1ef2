// Chat templates rendered byte-for-byte as Python jinja2 renders them for transformers.
// golden.json comes from make_golden.py; see compute/llm/template/README.md.
#include "llm/chat_session.h"
#include "llm/language_model.h"
#include "llm/template/chat_template.h"
#include "test_device.h"
#include "test_result.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <map>

using namespace atelier;
using namespace atelier::llm;

namespace {

QString dataPath(const QString& relative) { return QStringLiteral(ATELIER_CHAT_TEMPLATE_DATA "/") + relative; }

std::string readFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll().toStdString();
}

std::string str(const QJsonValue& v) { return v.toString().toStdString(); }

jinja::Value parsedJson(const std::string& text) {
    auto value = jinja::parseJson(text);
    return value.ok() ? value.value() : jinja::Value();
}

// Fixed so strftime_now matches make_golden.py's FIXED_NOW (2025-01-15 09:30:05, a Wednesday).
std::tm fixedNow() {
    std::tm t{};
    t.tm_year = 125;
    t.tm_mon = 0;
    t.tm_mday = 15;
    t.tm_hour = 9;
    t.tm_min = 30;
    t.tm_sec = 5;
    t.tm_wday = 3;
    t.tm_yday = 14;
    return t;
}

std::vector<ChatMessage> toMessages(const jinja::Value& list) {
    std::vector<ChatMessage> messages;
    for (const jinja::Value& item : list.asList()) {
        ChatMessage message;
        for (const auto& [key, value] : item.asMap().entries) {
            if (key == "role" && value.isString())
                message.role = value.asString();
            else if (key == "content" && value.isString())
                message.content = value.asString();
            else
                message.extra.set(key, value);
        }
        messages.push_back(std::move(message));
    }
    return messages;
}

QByteArray firstDifference(const std::string& actual, const std::string& expected) {
    std::size_t i = 0;
    while (i < actual.size() && i < expected.size() && actual[i] == expected[i])
        ++i;
    const std::size_t from = i > 40 ? i - 40 : 0;
    return QByteArray("differs at byte ") + QByteArray::number(qulonglong(i)) + "\n  actual:   " +
           QByteArray::fromStdString(actual.substr(from, 100)).toPercentEncoding(" <>|/{}'\"") + "\n  expected: " +
           QByteArray::fromStdString(expected.substr(from, 100)).toPercentEncoding(" <>|/{}'\"");
}

void checkOutcome(const Result<std::string>& result, const QJsonObject& golden) {
    if (golden.contains("expected")) {
        QVERIFY2(result.ok(), result.ok() ? "" : result.error().message.c_str());
        const std::string expected = str(golden["expected"]);
        QVERIFY2(result.value() == expected, firstDifference(result.value(), expected).constData());
        return;
    }
    QVERIFY2(!result.ok(), ("expected an error like: " + str(golden["message"])).c_str());
    const std::string kind = str(golden["error"]);
    const std::string message = result.error().message;
    if (kind == "raise")
        QVERIFY2(message.find(str(golden["message"])) != std::string::npos, message.c_str());
    if (kind == "syntax") {
        QCOMPARE(result.error().code, ErrorCode::Format);
        const std::string line = "line " + std::to_string(golden["line"].toInt()) + ":";
        QVERIFY2(message.find(line) != std::string::npos, (message + " / wanted " + line).c_str());
    }
}

} // namespace

class TestChatTemplate : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void goldenTemplates_data();
    void goldenTemplates();
    void goldenSnippets_data();
    void goldenSnippets();
    void parsedTemplateRendersManyTimes();
    void chatMlFallback();
    void messageExtrasAndVariables();
    void jsonKeepsKeyOrder();
    void runawayLoopsAreCapped();
    void outputIsCapped();
    void hostileNestingFailsCleanly();
    void macroRecursionIsCapped();
    void hostileValuesAreBounded();
    void longConversationRendersQuickly();
    void runtimeErrorsCarryTheLine();
    void paddingIsRefusedBeforeItIsBuilt_data();
    void paddingIsRefusedBeforeItIsBuilt();
    void emptyRepetitionIsImmediate();
    void printingIsBounded_data();
    void printingIsBounded();
    void replaceCountsOnlyWhatItReplaces();
    void workIsBounded_data();
    void workIsBounded();
    void unreadableModelTemplateIsReported();

private:
    QJsonObject mGolden;
    std::map<std::string, ChatTemplate> mParsed;
};

void TestChatTemplate::initTestCase() {
    QFile file(dataPath("golden.json"));
    QVERIFY2(file.open(QIODevice::ReadOnly), "golden.json missing: run tests/chat_template/make_golden.py");
    mGolden = QJsonDocument::fromJson(file.readAll()).object();
    QVERIFY(mGolden["templates"].toArray().size() > 100);
}

void TestChatTemplate::goldenTemplates_data() {
    QTest::addColumn<QJsonObject>("golden");
    for (const QJsonValue& c : mGolden["templates"].toArray())
        QTest::newRow(c["name"].toString().toUtf8().constData()) << c.toObject();
}

void TestChatTemplate::goldenTemplates() {
    QFETCH(QJsonObject, golden);
    const std::string file = str(golden["template"]);
    if (!mParsed.count(file)) {
        auto parsed = ChatTemplate::parse(readFile(dataPath("templates/" + QString::fromStdString(file))));
        QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.error().message.c_str());
        mParsed.emplace(file, parsed.value());
    }
    ChatTemplateInput input;
    input.messages = toMessages(parsedJson(str(golden["messages"])));
    input.addGenerationPrompt = golden["add_generation_prompt"].toBool();
    input.bosToken = str(golden["bos_token"]);
    input.eosToken = str(golden["eos_token"]);
    input.variables = parsedJson(str(golden["variables"])).asMap();
    input.now = fixedNow();
    checkOutcome(mParsed.at(file).render(input), golden);
}

void TestChatTemplate::goldenSnippets_data() {
    QTest::addColumn<QJsonObject>("golden");
    for (const QJsonValue& c : mGolden["snippets"].toArray())
        QTest::newRow(c["name"].toString().toUtf8().constData()) << c.toObject();
}

void TestChatTemplate::goldenSnippets() {
    QFETCH(QJsonObject, golden);
    ChatTemplateInput input;
    input.variables = parsedJson(str(mGolden["snippetVariables"])).asMap();
    input.now = fixedNow();
    checkOutcome(renderChatTemplate(str(golden["source"]), input), golden);
}

void TestChatTemplate::parsedTemplateRendersManyTimes() {
    auto parsed = ChatTemplate::parse(readFile(dataPath("templates/qwen-2.5.jinja")));
    QVERIFY(parsed.ok());
    const ChatTemplate copy = parsed.value();
    for (int turn = 0; turn < 3; ++turn) {
        ChatTemplateInput input;
        input.messages = {{"user", "turn " + std::to_string(turn), {}}};
        auto out = copy.render(input);
        QVERIFY(out.ok());
        QCOMPARE(QString::fromStdString(out.value()),
                 QString("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                         "<|im_start|>user\nturn %1<|im_end|>\n<|im_start|>assistant\n").arg(turn));
    }
}

void TestChatTemplate::chatMlFallback() {
    QCOMPARE(QString::fromUtf8(kChatMlTemplate.data(), kChatMlTemplate.size()).toStdString(),
             readFile(dataPath("templates/chatml.jinja")));
    ChatTemplateInput input;
    input.messages = {{"system", "Be brief.", {}}, {"user", "Hi 👋", {}}};
    auto out = renderChatTemplate(kChatMlTemplate, input);
    QVERIFY(out.ok());
    QCOMPARE(QString::fromStdString(out.value()),
             QString::fromUtf8("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi 👋<|im_end|>\n"
                               "<|im_start|>assistant\n"));
}

void TestChatTemplate::messageExtrasAndVariables() {
    ChatTemplateInput input;
    jinja::ValueMap extra;
    extra.set("name", jinja::Value("calc"));
    input.messages = {{"tool", "4", extra}};
    input.variables.set("greeting", jinja::Value("hello"));
    input.variables.set("add_generation_prompt", jinja::Value(false)); // variables win, like **kwargs
    auto out = renderChatTemplate("{{ greeting }} {% for m in messages %}{{ m.role }}:{{ m.name }}={{ m.content }}{% endfor %}"
                                  " {{ add_generation_prompt }} {{ tools }} [{{ bos_token }}]",
                                  input);
    QVERIFY(out.ok());
    QCOMPARE(QString::fromStdString(out.value()), QString("hello tool:calc=4 False None []"));
}

void TestChatTemplate::jsonKeepsKeyOrder() {
    auto value = jinja::parseJson(R"({"z": 1, "a": [true, null, 2.5, "\u00e9\ud83d\ude00"], "m": {}})");
    QVERIFY(value.ok());
    auto json = jinja::toJson(value.value(), {});
    QVERIFY(json.ok());
    QCOMPARE(QString::fromStdString(json.value()), QString::fromUtf8(R"({"z": 1, "a": [true, null, 2.5, "é😀"], "m": {}})"));
    QVERIFY(!jinja::parseJson("{\"a\": }").ok());
    QVERIFY(!jinja::parseJson(std::string(100000, '[')).ok());
}

void TestChatTemplate::runawayLoopsAreCapped() {
    RenderLimits limits;
    limits.maxLoopIterations = 10000;
    auto parsed = ChatTemplate::parse("{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}");
    QVERIFY(parsed.ok());
    QElapsedTimer timer;
    timer.start();
    auto out = parsed->render({}, limits);
    QVERIFY(!out.ok());
    QVERIFY2(out.error().message.find("loop iterations") != std::string::npos, out.error().message.c_str());
    QVERIFY(timer.elapsed() < 2000);
    QVERIFY(!renderChatTemplate("{{ range(10**9) | length }}", {}).ok());
    QVERIFY(renderChatTemplate("{{ 1 ** 1000000000000000000 }}", {}).ok()); // square-and-multiply, no loop
}

void TestChatTemplate::outputIsCapped() {
    RenderLimits limits;
    limits.maxOutputBytes = 1 << 16;
    for (const char* hostile : {"{% for i in range(100000) %}xxxxxxxxxx{% endfor %}", "{{ 'x' * 1000000000000 }}",
                                "{% set s = 'ab' %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}",
                                "{{ ('x' * 60000) | replace('x', 'yyyyyyyy') }}", "{{ 'x' * 9000 | join(',') * 99 }}"}) {
        auto parsed = ChatTemplate::parse(hostile);
        QVERIFY2(parsed.ok(), hostile);
        auto out = parsed->render({}, limits);
        QVERIFY2(!out.ok() || out.value().size() <= limits.maxOutputBytes, hostile);
    }
}

void TestChatTemplate::hostileNestingFailsCleanly() {
    std::string nestedIfs;
    for (int i = 0; i < 5000; ++i)
        nestedIfs += "{% if true %}";
    const std::string hostile[] = {
        "{{ " + std::string(100000, '(') + "1 }}", "{{ " + std::string(50000, '[') + " }}",
        "{{ " + std::string(5000, '-') + "1 }}",   "{{ " + std::string(20000, '{') + " }}",
        "{{ " + std::string(5000, 'x') + std::string(5000, '.') + " }}", nestedIfs,
    };
    for (const std::string& source : hostile) {
        auto parsed = ChatTemplate::parse(source);
        QVERIFY(!parsed.ok());
        QCOMPARE(parsed.error().code, ErrorCode::Format);
    }
}

void TestChatTemplate::macroRecursionIsCapped() {
    auto out = renderChatTemplate("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", {});
    QVERIFY(!out.ok());
    QVERIFY2(out.error().message.find("macro calls nested deeper") != std::string::npos, out.error().message.c_str());
}

void TestChatTemplate::hostileValuesAreBounded() {
    for (const char* hostile : {
             "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}",
             "{% set ns = namespace(d={}) %}{% for i in range(100000) %}{% set ns.d = dict(a=ns.d) %}{% endfor %}{{ ns.d }}",
             "{% set ns = namespace() %}{% set ns.me = [1, {'x': ns}] %}{{ ns }}",
             "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
             "{{ ([1] * 100000) * 100000 }}",
             "{% for c in 'x' * 16000000 %}{% endfor %}",
         }) {
        auto out = renderChatTemplate(hostile, {});
        QVERIFY2(!out.ok(), hostile);
        QCOMPARE(out.error().code, ErrorCode::InvalidArgument);
    }
}

void TestChatTemplate::longConversationRendersQuickly() {
    auto parsed = ChatTemplate::parse(readFile(dataPath("templates/llama-3.1.jinja")));
    QVERIFY(parsed.ok());
    ChatTemplateInput input;
    input.messages.push_back({"system", "You are helpful.", {}});
    for (int i = 0; i < 2000; ++i)
        input.messages.push_back({i % 2 ? "assistant" : "user", std::string(500, 'a' + i % 26), {}});
    QElapsedTimer timer;
    timer.start();
    auto out = parsed->render(input);
    QVERIFY(out.ok());
    QVERIFY(out.value().size() > 2000 * 500);
    QVERIFY2(timer.elapsed() < 2000, QByteArray::number(timer.elapsed()).constData());
}

void TestChatTemplate::runtimeErrorsCarryTheLine() {
    auto out = renderChatTemplate("ok\n{% for m in messages %}\n{{ raise_exception('bad role: ' ~ m.role) }}\n{% endfor %}",
                                  ChatTemplateInput{{{"robot", "hi", {}}}});
    QVERIFY(!out.ok());
    QCOMPARE(out.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(QString::fromStdString(out.error().message), QString("chat template error at line 3: bad role: robot"));
}

// Issue 18: a filter asked for a width builds nothing of it before checking the output limit.
void TestChatTemplate::paddingIsRefusedBeforeItIsBuilt_data() {
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("why");
    QTest::newRow("indent 2**40") << R"({{ "a\nb" | indent(2**40) }})" << "indent width";
    QTest::newRow("indent 2**40 first") << R"({{ "a" | indent(width=2**40, first=true) }})" << "indent width";
    QTest::newRow("indent over the limit") << R"({{ "a\nb" | indent(16777217) }})" << "indent width";
    QTest::newRow("tojson indent 2**40") << "{{ [1] | tojson(indent=2**40) }}" << "tojson indent width";
    QTest::newRow("tojson indent 300000000") << "{{ [[[1]]] | tojson(indent=300000000) }}" << "tojson indent width";
    QTest::newRow("tojson deep lines") << "{{ [[[[[[[[1]]]]]]]] | tojson(indent=3000000) }}" << "JSON text would be longer";
}

void TestChatTemplate::paddingIsRefusedBeforeItIsBuilt() {
    QFETCH(QString, source);
    QFETCH(QString, why);
    QElapsedTimer timer;
    timer.start();
    auto out = renderChatTemplate(source.toStdString(), {});
    QVERIFY2(!out.ok(), source.toUtf8().constData());
    QCOMPARE(out.error().code, ErrorCode::InvalidArgument);
    QVERIFY2(out.error().message.find(why.toStdString()) != std::string::npos, out.error().message.c_str());
    QVERIFY2(timer.elapsed() < 1000, QByteArray::number(timer.elapsed()).constData()); // nothing big was written
    auto small = renderChatTemplate(R"({{ "a\nb" | indent(3) }}|{{ [1] | tojson(indent=1) }})", {});
    VERIFY_OK(small);
    QCOMPARE(QString::fromStdString(small.value()), QString("a\n   b|[\n 1\n]"));
}

// '' * 10**18 used to append the empty string 10**18 times.
void TestChatTemplate::emptyRepetitionIsImmediate() {
    QElapsedTimer timer;
    timer.start();
    auto out = renderChatTemplate("[{{ '' * 10**18 }}|{{ [] * 10**18 }}|{{ 10**18 * () }}]", {});
    VERIFY_OK(out);
    QCOMPARE(QString::fromStdString(out.value()), QString("[|[]|()]"));
    QVERIFY2(timer.elapsed() < 1000, QByteArray::number(timer.elapsed()).constData());
}

// A list holding one 10 MB string 100000 times takes 10 MB, but prints as 1 TB: every way of
// turning it into text stops at the output limit (each used to copy the string per item first).
void TestChatTemplate::printingIsBounded_data() {
    QTest::addColumn<QString>("use");
    for (const char* use : {"{{ l }}", "{{ l ~ '' }}", "{{ '' ~ l }}", "{{ l | string }}", "{{ l | upper }}",
                            "{{ l | trim }}", "{{ l | join }}", "{{ l | tojson }}", "{{ l is lower }}",
                            "{{ l | indent(first=true) }}", "{{ l | escape }}", "{{ 'x' | replace(l, 'y') }}",
                            "{{ [1, 2] | join(l) }}", "{{ l[0][:3] }}{{ l | map('upper') | list | length }}"})
        QTest::newRow(use) << QString(use);
}

void TestChatTemplate::printingIsBounded() {
    QFETCH(QString, use);
    const std::string source = "{% set l = ['x' * 10000000] * 100000 %}" + use.toStdString();
    QElapsedTimer timer;
    timer.start();
    auto out = renderChatTemplate(source, {});
    if (out.ok())
        QVERIFY(out.value().size() <= RenderLimits{}.maxOutputBytes);
    else
        QCOMPARE(out.error().code, ErrorCode::InvalidArgument);
    QVERIFY2(timer.elapsed() < 10000, QByteArray::number(timer.elapsed()).constData());
    // A missing key, however large, is named in few bytes.
    auto missing = renderChatTemplate("{% set l = ['x' * 10000000] * 100000 %}{{ {}[l].x }}", {});
    QVERIFY(!missing.ok());
    QVERIFY2(missing.error().message.size() < 1000, missing.error().message.substr(0, 200).c_str());
}

// The limit counts the replacements made, not every match: count=1 changes one character.
void TestChatTemplate::replaceCountsOnlyWhatItReplaces() {
    RenderLimits limits;
    limits.maxOutputBytes = 1 << 16;
    for (const char* source : {"{{ ('x' * 60000) | replace('x', 'yyyyyyyy', 1) | length }}",
                               "{{ ('x' * 60000).replace('x', 'yyyyyyyy', 1) | length }}"}) {
        auto parsed = ChatTemplate::parse(source);
        QVERIFY(parsed.ok());
        auto out = parsed->render({}, limits);
        VERIFY_OK(out);
        QCOMPARE(QString::fromStdString(out.value()), QString("60007"));
    }
}

// Each value below fits the output limit; building or reading them over and over does not fit
// RenderLimits::maxWorkBytes. Each used to run out of memory or run for hours.
void TestChatTemplate::workIsBounded_data() {
    QTest::addColumn<QString>("source");
    QTest::newRow("map to large strings") << "{{ range(100000) | map('indent', 8000000, true) | list | length }}";
    QTest::newRow("a namespace collects strings")
        << "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = ns.l + ['x' * 16000000] %}{% endfor %}";
    QStringList items;
    for (int i = 0; i < 100; ++i)
        items << "'x' * 16000000";
    QTest::newRow("a list literal of large strings") << "{% set l = [" + items.join(", ") + "] %}";
    QTest::newRow("scanning a large string in a loop")
        << "{% set s = 'x' * 16000000 %}{% for i in range(1000000) %}{% if 'y' in s %}{% endif %}{% endfor %}";
    QTest::newRow("a str method in a loop")
        << "{% set s = 'x' * 16000000 %}{% for i in range(1000000) %}{{ s.count('y') }}{% endfor %}";
    QTest::newRow("a value spanning 2**64 paths")
        << "{% set ns = namespace(a=[1]) %}{% for i in range(64) %}{% set ns.a = [ns.a, ns.a] %}{% endfor %}{{ ns.a == ns.a }}";
    QTest::newRow("summing lists copies each total") << "{{ ([[1]] * 100000) | sum(start=[]) | length }}";
    QTest::newRow("sorting large strings") << "{{ (['x' * 16000000] * 100000) | sort | length }}";
    QTest::newRow("indexing a long string in a loop")
        << QString::fromUtf8("{% set s = 'é' * 8000000 %}{% for i in range(1000000) %}{{ s[i] }}{% endfor %}");
    QTest::newRow("unique compares each pair") << "{{ range(100000) | unique | list | length }}";
    QTest::newRow("2**60 macro calls") << "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}";
    QTest::newRow("a long loop body")
        << "{% for i in range(1000000) %}" + QString("{% if i %}{% endif %}").repeated(1000) + "{% endfor %}";
}

void TestChatTemplate::workIsBounded() {
    QFETCH(QString, source);
    QElapsedTimer timer;
    timer.start();
    auto out = renderChatTemplate(source.toStdString(), {});
    QVERIFY2(!out.ok(), source.left(200).toUtf8().constData());
    QCOMPARE(out.error().code, ErrorCode::InvalidArgument);
    QVERIFY2(timer.elapsed() < 10000, QByteArray::number(timer.elapsed()).constData());
}

// Issue 18: a model whose template does not parse is not called a base model; the session keeps
// the parse error for the UI to show. tiny_qwen2.gguf (tests/llm) with its template's first bytes
// overwritten in place.
void TestChatTemplate::unreadableModelTemplateIsReported() {
    vk::Device* device = test::testDevice();
    if (!device)
        QSKIP("no Vulkan device");
    QFile original(dataPath("../llm/fixtures/tiny_qwen2.gguf"));
    QVERIFY(original.open(QIODevice::ReadOnly));
    QByteArray gguf = original.readAll();
    const QByteArray key = "tokenizer.chat_template";
    const qsizetype at = gguf.indexOf(key);
    QVERIFY(at > 0);
    const qsizetype text = at + key.size() + 4 + 8; // u32 value type (8: string), u64 length
    QCOMPARE(int(gguf[at + key.size()]), 8);
    gguf.replace(text, 7, "{{ ( }}");
    QTemporaryDir dir;
    QFile broken(dir.filePath("broken_template.gguf"));
    QVERIFY(broken.open(QIODevice::WriteOnly) && broken.write(gguf) == gguf.size());
    broken.close();

    llm::LoadOptions options;
    options.contextLength = 64;
    for (const bool readable : {true, false}) {
        const QString path = readable ? original.fileName() : broken.fileName();
        auto model = llm::LanguageModel::load(*device, path.toStdString(), options);
        VERIFY_OK(model);
        llm::ChatSession session(*model.value());
        QCOMPARE(session.completesText(), !readable);
        QCOMPARE(session.templateError().has_value(), !readable);
        if (!readable) {
            QCOMPARE(session.templateError()->code, ErrorCode::Format);
            const std::string message = session.templateError()->message;
            QVERIFY2(message.find("chat template syntax error at line 1") == 0, message.c_str());
        }
    }
    QVERIFY(test::noValidationMessages());
}

QTEST_GUILESS_MAIN(TestChatTemplate)
#include "tst_chat_template.moc"
