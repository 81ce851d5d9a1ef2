#pragma once
// Renders a conversation into prompt text with a model's Jinja chat template, matching what
// transformers' apply_chat_template produces (jinja2, trim_blocks and lstrip_blocks on).

#include "core/result.h"
#include "llm/template/value.h"

#include <cstddef>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::llm {

struct RgbPicture;

struct ChatMessage {
    std::string role;
    std::string content;
    jinja::ValueMap extra; // further keys a template may read (tool_calls, tool_call_id, ...); may override content
    // Pictures the message shows (a vision model reads them before its text; chat_session.h).
    std::vector<std::shared_ptr<const RgbPicture>> pictures;
};

struct ChatTemplateInput {
    std::vector<ChatMessage> messages;
    bool addGenerationPrompt = true;
    std::string bosToken;
    std::string eosToken;
    jinja::ValueMap variables;  // more template variables: tools, date_string, enable_thinking, ...
    std::optional<std::tm> now; // what strftime_now() formats; the local time when empty
};

// Bounds that keep a hostile template from exhausting memory or time. Every string, list and JSON
// text is checked against maxOutputBytes before it is allocated.
struct RenderLimits {
    std::size_t maxOutputBytes = std::size_t(16) << 20; // also caps every string a template builds
    std::size_t maxLoopIterations = 1'000'000;         // summed over all loops of one render
    int maxCallDepth = 64;                             // macro recursion
    std::size_t maxWorkBytes = std::size_t(256) << 20; // bytes built or scanned, summed over one render: bounds
                                                       // the memory values can hold and the time they take
};

// A template parsed once, rendered per request. Copies share the parsed form.
class ChatTemplate {
public:
    static Result<ChatTemplate> parse(std::string_view text);
    Result<std::string> render(const ChatTemplateInput& input, const RenderLimits& limits = {}) const;

    struct Program;

private:
    std::shared_ptr<const Program> mProgram;
};

Result<std::string> renderChatTemplate(std::string_view templateText, const ChatTemplateInput& input);

// ChatML, for model files that carry no template: <|im_start|>role\ncontent<|im_end|>\n
extern const std::string_view kChatMlTemplate;

} // namespace atelier::llm
