#pragma once
// Reads tests/samplers/golden/*.json (written by make_golden.py).

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <vector>

namespace atelier::test {

// The parsed file, or an empty object after a failed QVERIFY-style message on stderr.
QJsonObject loadGolden(const QString& name);

std::vector<double> doubles(const QJsonValue& array);
std::vector<float> floats(const QJsonValue& array);
std::vector<int> ints(const QJsonValue& array);

// max |a - b| over max(1, max |b|): the error relative to the reference's scale.
double scaledMaxError(const std::vector<float>& actual, const std::vector<double>& expected);
double maxRelativeError(const std::vector<double>& actual, const std::vector<double>& expected);

} // namespace atelier::test
