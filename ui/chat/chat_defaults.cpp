#include "chat/chat_defaults.h"

#include <QJsonDocument>
#include <QSettings>

namespace atelier::ui {

namespace {
const QString kKey = QStringLiteral("chat/defaults");
}

store::ChatSettings loadChatDefaults()
{
    const QByteArray json = QSettings().value(kKey).toByteArray();
    return store::ChatSettings::fromJson(QJsonDocument::fromJson(json).object());
}

void saveChatDefaults(const store::ChatSettings& settings)
{
    QSettings().setValue(kKey, QJsonDocument(settings.toJson()).toJson(QJsonDocument::Compact));
}

} // namespace atelier::ui
