#pragma once
// The one std::error_category of Hearth, fed a table. Each module (rpc, cluster, session) lists
// its codes once -- enum value, stable name, full-sentence message and, where codes group
// naturally, the error condition they belong to -- and gets its category from that table:
//
//   constexpr rpc::error_entry<errc> codes[] = {
//       {errc::timeout, "timeout", "The call did not get a reply within its timeout."}, ...};
//   const rpc::table_category<errc>& table() noexcept {
//       static const rpc::table_category<errc> instance{"hearth.rpc", codes, "An unknown ..."};
//       return instance;
//   }
//
// Conditions work the Beast way: a code's category maps it (default_error_condition) to a
// value of the module's condition enum, whose own category is also a table_category, so
// `ec == cluster::condition::handshake_failure` is true for every handshake failure code.
//
// Include this header only in a module's error.cpp: the module's error.hpp declares
// category(), to_string() and friends, which the .cpp implements with the table.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace hearth::rpc {

/// One row of a module's code table.
template <class Enum>
struct error_entry {
    Enum code;
    std::string_view name;  ///< stable lower-case name: logs, metric labels, the wire
    const char* message;    ///< one full sentence, ending with '.'
    int condition = 0;      ///< the value of the module's condition enum the code belongs to; 0: none
};

/// A std::error_category whose names and messages come from a table. Instances are the
/// categories' singletons (a function-local static in the module's error.cpp): a category is
/// compared by address. The table must outlive the category (a constexpr array does).
template <class Enum>
class table_category final : public std::error_category {
  public:
    /// `name` is the category's name ("hearth.rpc"); `unknown` the sentence for values outside
    /// the table; `conditions` returns the condition category the rows' `condition` values
    /// belong to (nullptr when the module has no conditions).
    constexpr table_category(const char* name, std::span<const error_entry<Enum>> table, const char* unknown,
                             const std::error_category& (*conditions)() noexcept = nullptr) noexcept
        : name_(name), table_(table), unknown_(unknown), conditions_(conditions) {}

    const char* name() const noexcept override { return name_; }

    std::string message(int value) const override {
        const auto* e = find(value);
        return e ? e->message : unknown_;
    }

    /// The code's condition when its row names one, else the code itself (no equivalence).
    std::error_condition default_error_condition(int value) const noexcept override {
        const auto* e = find(value);
        if (e && e->condition != 0 && conditions_) return {e->condition, conditions_()};
        return {value, *this};
    }

    /// The row of `value`, nullptr when the table has none.
    const error_entry<Enum>* find(int value) const noexcept {
        for (const auto& e : table_)
            if (static_cast<int>(e.code) == value) return &e;
        return nullptr;
    }
    bool is_known(int value) const noexcept { return find(value) != nullptr; }

    /// The stable name of `code`, "unknown" for a value outside the table.
    std::string_view name_of(Enum code) const noexcept {
        const auto* e = find(static_cast<int>(code));
        return e ? e->name : std::string_view{"unknown"};
    }

    /// The code with that stable name, if there is one.
    std::optional<Enum> from_name(std::string_view name) const noexcept {
        for (const auto& e : table_)
            if (e.name == name) return e.code;
        return std::nullopt;
    }

    /// The code `ec` holds when it belongs to this category and to the table; nullopt for a
    /// code of another category (a socket error, say) or an unknown value. This is the checked
    /// way from a std::error_code to the module's enum: never static_cast ec.value() alone.
    std::optional<Enum> code_of(const std::error_code& ec) const noexcept {
        if (ec.category() != *this || !is_known(ec.value())) return std::nullopt;
        return static_cast<Enum>(ec.value());
    }

  private:
    const char* name_;
    std::span<const error_entry<Enum>> table_;
    const char* unknown_;
    const std::error_category& (*conditions_)() noexcept;
};

}  // namespace hearth::rpc
