#pragma once
// A vision projector ("mmproj") GGUF as llama.cpp's converter writes them (general.architecture
// `clip`, keys under clip.vision.*): the ViT that turns a picture into patch vectors and the
// projector that turns those into the language model's embeddings. Supported: Gemma 3's
// (`clip.projector_type` gemma3: SigLIP, then average pooling of the patch grid, RMSNorm and a
// projection) and SmolVLM's / Idefics3's (idefics3: SigLIP on tiles of the picture and on the
// whole of it, then each merge x merge square of patches side by side (pixel shuffle) through
// one linear layer).

#include "core/result.h"

#include <array>
#include <string>

namespace atelier::io {
class GgufFile;
}

namespace atelier::llm {

enum class Projector { Gemma3, Idefics3 };
enum class VisionActivation { GeluTanh, GeluQuick, Silu };

struct VisionConfig {
    Projector projector = Projector::Gemma3;
    std::string projectorName; // as the file says it
    std::string name;
    int imageSize = 0;   // pictures are resized to imageSize x imageSize
    int patchSize = 0;
    int dim = 0;         // the ViT's width
    int feedForward = 0;
    int layers = 0;
    int heads = 0;
    int textDim = 0;     // the language model's embedding length, what the projector outputs
    int merge = 1;       // squares of merge x merge patches become one embedding (pooled or side by side)
    int longestEdge = 0; // Idefics3: the picture's longer side is resized to this before tiling
    float eps = 1e-6f;
    VisionActivation activation = VisionActivation::GeluQuick;
    std::array<float, 3> mean{0.5f, 0.5f, 0.5f}, std{0.5f, 0.5f, 0.5f};
    // Whether a picture's embeddings see each other both ways in the language model (Gemma 3), as
    // llama.cpp's mtmd decodes them; how they are placed among tokens is picture_plan.h's.
    bool picturesBothWays = false;

    int patchesPerSide() const { return imageSize / patchSize; }
    int patches() const { return patchesPerSide() * patchesPerSide(); }
    // The embeddings one picture becomes.
    int tokens() const { return patches() / (merge * merge); }

    static Result<VisionConfig> fromGguf(const io::GgufFile& file);
};

// Whether a GGUF is a vision projector (general.architecture `clip` with a vision encoder).
bool isVisionProjector(const io::GgufFile& file);

// Whether a projector can feed a language model of this architecture (Gemma 3's a gemma3, SmolVLM's
// a llama) and width.
bool projectorFits(const VisionConfig& config, const std::string& architecture, int textDim);

// The vision projector that goes with a model, found as LM Studio and llama.cpp users keep them:
// a GGUF in the model's folder whose name starts with "mmproj" and that fits the model
// (projectorFits). Empty when there is none.
std::string findVisionProjector(const std::string& modelPath, const std::string& architecture, int textDim);

} // namespace atelier::llm
