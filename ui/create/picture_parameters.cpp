#include "create/picture_parameters.h"

#include "diffusion/generation.h"

#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QPlainTextEdit>
#include <QVBoxLayout>

namespace atelier::ui {

diffusion::GenerationParameters requestedParameters(const ImageRequest& request)
{
    // The queue's copy holds no init pixels: an init picture's path or an inpaint says it starts from one.
    diffusion::GenerationParameters p =
        diffusion::describeRequest(request.generation, !request.initImagePath.isEmpty() || request.inpaint);
    p.model = QFileInfo(request.modelPath).completeBaseName(); // the checkpoint's file name, as the model names itself
    if (p.model.isEmpty()) // a diffusers folder given with a trailing slash
        p.model = QDir(request.modelPath).dirName();
    return p;
}

PictureParameters::PictureParameters(QWidget* parent) : QWidget(parent)
{
    auto* column = new QVBoxLayout(this);
    column->setContentsMargins(0, 0, 0, 0);
    mHeading = new QLabel(tr("Parameters"), this);
    mHeading->setObjectName("pictureParametersHeading");
    column->addWidget(mHeading);
    mText = new QPlainTextEdit(this);
    mText->setObjectName("pictureParameters");
    mText->setReadOnly(true);
    column->addWidget(mText, 1);
}

void PictureParameters::showForming(const ImageRequest& request)
{
    mHeading->setText(tr("Parameters (forming)"));
    mHeading->setToolTip(tr("What the picture forming was started with; its model hash comes when it is made"));
    mText->setPlainText(diffusion::formatA1111(requestedParameters(request)));
}

void PictureParameters::showFinished(const diffusion::GenerationParameters& parameters)
{
    mHeading->setText(tr("Parameters"));
    mHeading->setToolTip({});
    mText->setPlainText(diffusion::formatA1111(parameters));
}

void PictureParameters::clear()
{
    mHeading->setText(tr("Parameters"));
    mHeading->setToolTip({});
    mText->clear();
}

} // namespace atelier::ui
