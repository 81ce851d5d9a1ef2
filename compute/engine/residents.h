#pragma once
// Objects that outlive one job on the compute thread, such as a loaded model: the worker owns
// them and destroys them before the device, so no GPU memory outlives it. Jobs find them by key;
// the UI only ever names them.

#include <map>
#include <memory>
#include <string>
#include <typeindex>

namespace atelier::engine {

class Residents {
public:
    // The object under `key` when it has type T; nullptr otherwise.
    template <typename T>
    T* find(const std::string& key) const
    {
        const auto it = mObjects.find(key);
        if (it == mObjects.end() || it->second.type != std::type_index(typeid(T)))
            return nullptr;
        return static_cast<T*>(it->second.object.get());
    }

    // Stores `object` under `key`, destroying what was there first (so two big models never
    // hold device memory at once).
    template <typename T>
    T& put(const std::string& key, std::unique_ptr<T> object)
    {
        erase(key);
        T& ref = *object;
        mObjects.emplace(key, Entry{std::shared_ptr<void>(std::move(object)), std::type_index(typeid(T))});
        return ref;
    }

    void erase(const std::string& key) { mObjects.erase(key); }
    void clear() { mObjects.clear(); }

private:
    struct Entry {
        std::shared_ptr<void> object; // keeps T's deleter
        std::type_index type;
    };
    std::map<std::string, Entry> mObjects;
};

} // namespace atelier::engine
