#pragma once
// Create's Parameters panel: the A1111 parameters of the picture in the middle. While a picture
// forms, those it was started with (marked as forming; the model hash and LoRA hashes come with
// the finished picture); afterwards the finished picture's own.

#include "create/image_engine.h"

#include <QWidget>

class QLabel;
class QPlainTextEdit;

namespace atelier::ui {

// What a queued picture will say it was made with, as far as the request tells before its model
// is loaded: everything but the model's and its LoRAs' hashes and the version.
diffusion::GenerationParameters requestedParameters(const ImageRequest& request);

class PictureParameters : public QWidget {
    Q_OBJECT
public:
    explicit PictureParameters(QWidget* parent = nullptr);

    void showForming(const ImageRequest& request);
    void showFinished(const diffusion::GenerationParameters& parameters);
    void clear();

private:
    QLabel* mHeading = nullptr;
    QPlainTextEdit* mText = nullptr;
};

} // namespace atelier::ui
