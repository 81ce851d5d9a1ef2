#include "llm/template/chat_template.h"

#include "llm/template/builtins.h"
#include "llm/template/parser.h"
#include "llm/template/renderer.h"

namespace atelier::llm {

const std::string_view kChatMlTemplate =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + "
    "'\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

struct ChatTemplate::Program {
    jinja::NodeList nodes;
};

Result<ChatTemplate> ChatTemplate::parse(std::string_view text) {
    ATELIER_ASSIGN(jinja::NodeList nodes, jinja::parseTemplate(text));
    ChatTemplate compiled;
    compiled.mProgram = std::make_shared<const Program>(Program{std::move(nodes)});
    return compiled;
}

static std::tm localNow() {
    const std::time_t t = std::time(nullptr);
    std::tm result{};
    localtime_r(&t, &result);
    return result;
}

// The variables transformers passes to render(): messages, tools and documents (None unless given),
// add_generation_prompt and the special tokens, then any caller extras.
Result<std::string> ChatTemplate::render(const ChatTemplateInput& input, const RenderLimits& limits) const {
    using jinja::Value;
    jinja::ValueMap globals;
    jinja::addBuiltins(globals, input.now ? *input.now : localNow());
    jinja::ValueList messages;
    for (const ChatMessage& message : input.messages) {
        jinja::ValueMap entry;
        entry.set("role", Value(message.role));
        entry.set("content", Value(message.content));
        for (const auto& [key, value] : message.extra.entries)
            entry.set(key, value);
        messages.push_back(Value::map(std::move(entry)));
    }
    globals.set("messages", Value::list(std::move(messages)));
    globals.set("tools", Value::none());
    globals.set("documents", Value::none());
    globals.set("add_generation_prompt", Value(input.addGenerationPrompt));
    globals.set("bos_token", Value(input.bosToken));
    globals.set("eos_token", Value(input.eosToken));
    for (const auto& [key, value] : input.variables.entries)
        globals.set(key, value);
    jinja::Renderer renderer(limits, std::move(globals));
    return renderer.render(mProgram->nodes);
}

Result<std::string> renderChatTemplate(std::string_view templateText, const ChatTemplateInput& input) {
    ATELIER_ASSIGN(ChatTemplate compiled, ChatTemplate::parse(templateText));
    return compiled.render(input);
}

} // namespace atelier::llm
