// The installed default model, read as the ggml project's `gguf` Python package (0.19.0) reads it.
// Expected values were taken from gguf.GGUFReader on gemma-3-270m-q4_k_m.gguf (sha256-pinned).

#include "tst_gguf.h"

#include <QDir>
#include <QFileInfo>

#include <chrono>
#include <map>

using namespace atelier;
using namespace atelier::io;

void TestGguf::readsGemma3()
{
    const QString path = QDir::homePath() + "/.local/share/Atelier/models/gemma-3-270m-q4_k_m.gguf";
    if (!QFileInfo::exists(path))
        QSKIP("Gemma 3 270M is not installed");
    const auto start = std::chrono::steady_clock::now();
    ASSIGN_OR_FAIL(auto file, GgufFile::open(path.toStdString()));
    QCOMPARE(file->bytes().size(), size_t(253113024));
    QCOMPARE(file->version(), 3u);
    QCOMPARE(file->architecture(), std::string("gemma3"));
    QCOMPARE(file->metadata().size(), size_t(33));
    QCOMPARE(file->alignment(), 32u);
    QCOMPARE(file->dataOffset(), uint64_t(6525120));
    QCOMPARE(file->tensors().size(), size_t(236));

    std::map<std::string, int> histogram;
    for (const GgufTensor& t : file->tensors())
        ++histogram[ggmlTypeName(t.type)];
    const std::map<std::string, int> expected{{"f32", 109}, {"q5_0", 81}, {"q4_K", 27}, {"q8_0", 10}, {"q6_K", 9}};
    QCOMPARE(histogram, expected);

    const struct { const char* name; GgmlType type; int64_t ne0, ne1; uint64_t bytes, offset; } tensors[] = {
        {"output_norm.weight", GgmlType::F32, 640, 1, 2560, 0},
        {"token_embd.weight", GgmlType::Q8_0, 640, 262144, 178257920, 2560},
        {"blk.0.attn_q.weight", GgmlType::Q5_0, 640, 1024, 450560, 178745344},
        {"blk.0.attn_v.weight", GgmlType::Q8_0, 640, 256, 174080, 179196928},
        {"blk.0.ffn_down.weight", GgmlType::Q6_K, 2048, 640, 1075200, 179371008},
        {"blk.17.attn_output.weight", GgmlType::Q4_K, 1024, 640, 368640, 242708480},
        {"blk.17.post_ffw_norm.weight", GgmlType::F32, 640, 1, 2560, 246585344},
    };
    for (const auto& e : tensors) {
        const GgufTensor* t = file->tensor(e.name);
        QVERIFY2(t, e.name);
        QCOMPARE(t->type, e.type);
        QCOMPARE(t->ne[0], e.ne0);
        QCOMPARE(t->ne[1], e.ne1);
        QCOMPARE(t->bytes, e.bytes);
        QCOMPARE(t->offset, e.offset);
    }
    // The last tensor ends exactly at the end of the file.
    const GgufTensor* last = file->tensor("blk.17.post_ffw_norm.weight");
    QCOMPARE(file->dataOffset() + last->offset + last->bytes, uint64_t(253113024));
    const std::span<const uint8_t> embd = file->data(*file->tensor("token_embd.weight"));
    QCOMPARE(QByteArray(reinterpret_cast<const char*>(embd.data()), 8).toHex(), QByteArray("f210f447c7ddec30"));

    QCOMPARE(file->u32("gemma3.embedding_length").value(), 640u);
    QCOMPARE(file->u32("gemma3.block_count").value(), 18u);
    QCOMPARE(file->u32("gemma3.attention.head_count_kv").value(), 1u);
    QCOMPARE(file->u32("gemma3.context_length").value(), 32768u);
    QCOMPARE(file->f32("gemma3.attention.layer_norm_rms_epsilon").value(), 1e-6f);
    QCOMPARE(file->f32("gemma3.rope.freq_base").value(), 1e6f);
    QCOMPARE(file->boolean("tokenizer.ggml.add_bos_token").value(), true);
    QCOMPARE(file->string("tokenizer.ggml.model").value(), std::string("llama"));
    QCOMPARE(file->stringArray("general.tags").value(),
             (std::vector<std::string>{"gemma3", "gemma", "google", "text-generation"}));

    ASSIGN_OR_FAIL(const auto tokens, file->stringArray("tokenizer.ggml.tokens"));
    QCOMPARE(tokens.size(), size_t(262144));
    QCOMPARE(tokens[2], std::string("<bos>"));
    QCOMPARE(tokens[105], std::string("<start_of_turn>"));
    QCOMPARE(tokens[106], std::string("<end_of_turn>"));
    QCOMPARE(tokens[262143], std::string("<unused6241>"));
    ASSIGN_OR_FAIL(const auto scores, file->f32Array("tokenizer.ggml.scores"));
    QCOMPARE(scores.size(), size_t(262144));
    QCOMPARE(scores[2], -1000.0f);
    QCOMPARE(scores[300], 0.0f);
    ASSIGN_OR_FAIL(const auto types, file->i32Array("tokenizer.ggml.token_type"));
    QCOMPARE(types[0], 3);
    QCOMPARE(types[300], 6);
    // This conversion carries no chat template; the chat code must bring Gemma's own.
    QVERIFY(!file->find("tokenizer.chat_template"));

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    qInfo("opened and read the Gemma file in %.3f s", seconds);
}
