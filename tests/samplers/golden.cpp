#include "golden.h"

#include <QFile>
#include <QJsonDocument>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <limits>

namespace atelier::test {

QJsonObject loadGolden(const QString& name)
{
    QFile file(QFINDTESTDATA("golden/" + name + ".json"));
    if (!file.open(QIODevice::ReadOnly)) {
        qWarning("cannot open golden/%s.json", qPrintable(name));
        return {};
    }
    return QJsonDocument::fromJson(file.readAll()).object();
}

std::vector<double> doubles(const QJsonValue& array)
{
    std::vector<double> values;
    for (const QJsonValue& v : array.toArray())
        values.push_back(v.toDouble());
    return values;
}

std::vector<float> floats(const QJsonValue& array)
{
    std::vector<float> values;
    for (const QJsonValue& v : array.toArray())
        values.push_back(float(v.toDouble()));
    return values;
}

std::vector<int> ints(const QJsonValue& array)
{
    std::vector<int> values;
    for (const QJsonValue& v : array.toArray())
        values.push_back(v.toInt());
    return values;
}

double scaledMaxError(const std::vector<float>& actual, const std::vector<double>& expected)
{
    if (actual.size() != expected.size())
        return std::numeric_limits<double>::infinity();
    double scale = 1.0;
    double error = 0.0;
    for (size_t i = 0; i < actual.size(); ++i) {
        scale = std::max(scale, std::abs(expected[i]));
        error = std::max(error, std::abs(double(actual[i]) - expected[i]));
    }
    return std::isnan(error) ? std::numeric_limits<double>::infinity() : error / scale;
}

double maxRelativeError(const std::vector<double>& actual, const std::vector<double>& expected)
{
    if (actual.size() != expected.size())
        return std::numeric_limits<double>::infinity();
    double error = 0.0;
    for (size_t i = 0; i < actual.size(); ++i) {
        const double diff = std::abs(actual[i] - expected[i]);
        error = std::max(error, expected[i] == 0.0 ? diff : diff / std::abs(expected[i]));
    }
    return std::isnan(error) ? std::numeric_limits<double>::infinity() : error;
}

} // namespace atelier::test
