#include "chat/remote_models.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QSettings>

namespace atelier::ui {

namespace {
const QString kGroup = QStringLiteral("remoteModels");

void write(const QList<RemoteEndpoint>& endpoints)
{
    QSettings s;
    s.remove(kGroup);
    s.beginWriteArray(kGroup, int(endpoints.size()));
    for (int i = 0; i < endpoints.size(); ++i) {
        s.setArrayIndex(i);
        s.setValue("url", endpoints[i].baseUrl.toString());
        s.setValue("apiKey", endpoints[i].apiKey);
        s.setValue("model", endpoints[i].model);
    }
    s.endArray();
}
} // namespace

QList<RemoteEndpoint> savedRemoteModels()
{
    QSettings s;
    QList<RemoteEndpoint> endpoints;
    const int n = s.beginReadArray(kGroup);
    for (int i = 0; i < n; ++i) {
        s.setArrayIndex(i);
        RemoteEndpoint e{QUrl(s.value("url").toString()), s.value("apiKey").toString(), s.value("model").toString()};
        if (e.baseUrl.isValid() && !e.model.isEmpty())
            endpoints << e;
    }
    s.endArray();
    return endpoints;
}

void saveRemoteModel(const RemoteEndpoint& endpoint)
{
    QList<RemoteEndpoint> endpoints = savedRemoteModels();
    endpoints.removeIf([&](const RemoteEndpoint& e) { return e.modelPath() == endpoint.modelPath(); });
    endpoints << endpoint;
    write(endpoints);
}

void forgetRemoteModel(const QString& modelPath)
{
    QList<RemoteEndpoint> endpoints = savedRemoteModels();
    endpoints.removeIf([&](const RemoteEndpoint& e) { return e.modelPath() == modelPath; });
    write(endpoints);
}

std::optional<RemoteEndpoint> remoteModel(const QString& modelPath)
{
    auto endpoint = RemoteEndpoint::fromModelPath(modelPath);
    if (!endpoint)
        return std::nullopt;
    for (const RemoteEndpoint& saved : savedRemoteModels())
        if (saved.modelPath() == modelPath)
            return saved;
    return endpoint; // a conversation from another machine: no key known here
}

void addRemoteModels(QComboBox& combo)
{
    for (const RemoteEndpoint& e : savedRemoteModels()) {
        const QString path = e.modelPath();
        if (combo.findData(path) >= 0)
            continue;
        combo.addItem(QCoreApplication::translate("RemoteModels", "%1 (remote)").arg(e.model), path);
        combo.setItemData(combo.count() - 1, describeRemoteModel(path), Qt::ToolTipRole);
    }
}

QString describeRemoteModel(const QString& modelPath)
{
    const auto e = RemoteEndpoint::fromModelPath(modelPath);
    if (!e)
        return {};
    return QCoreApplication::translate("RemoteModels", "Remote model %1 at %2: questions and answers go there")
        .arg(e->model, e->baseUrl.toString());
}

} // namespace atelier::ui
