// Chat templates rendered byte-for-byte as Python jinja2 renders them for transformers.
// golden.json comes from make_golden.py; see compute/llm/template/README.md.
#include "llm/template/chat_template.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
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

QTEST_GUILESS_MAIN(TestChatTemplate)
#include "tst_chat_template.moc"
