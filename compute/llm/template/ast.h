#pragma once
// The parsed form of a template: statements (Node) holding expressions (Expr), as jinja2's nodes.

#include "llm/template/value.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace atelier::llm::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    enum class Kind {
        Literal,     // literal
        Name,        // name
        List,        // args: items
        Tuple,       // args: items
        Dict,        // args: key, value, key, value...
        Getattr,     // args[0] . name
        Getitem,     // args[0] [ args[1] ]
        Slice,       // args: start, stop, step; each may be null
        Call,        // args[0] ( args[1..], kwargs )
        Filter,      // args[0] | name ( args[1..], kwargs )
        Test,        // args[0] is [not] name ( args[1..] )
        Unary,       // name ("-", "+", "not") args[0]
        Binary,      // args[0] name args[1]: + - * / // % ** ~ and or
        Compare,     // args[0] ops[0] args[1] ops[1] args[2]...
        Conditional, // args[1] if args[0] else args[2] (null: undefined)
    };

    Kind kind = Kind::Literal;
    int line = 0;
    Value literal;
    std::string name;
    std::vector<ExprPtr> args;
    std::vector<std::pair<std::string, ExprPtr>> kwargs;
    std::vector<std::string> ops;
    bool negated = false;
};

struct Node;
using NodeList = std::vector<Node>;

struct Node {
    enum class Kind { Data, Print, If, For, Set, SetBlock, Macro, Break, Continue, Scope };

    Kind kind = Kind::Data;
    int line = 0;
    std::string text;                  // Data text, Macro name
    ExprPtr expr;                      // Print value, Set value, For iterable
    ExprPtr condition;                 // For ... if condition
    std::vector<std::string> targets;  // For/Set names (several: tuple unpacking)
    std::string attribute;             // Set ns.attribute (targets[0] is the namespace)
    std::vector<std::pair<ExprPtr, NodeList>> branches; // If / elif
    NodeList body;                     // For, SetBlock, Macro, Scope; also the If else branch
    NodeList elseBody;                 // For ... else, If else
    std::vector<std::pair<std::string, ExprPtr>> params; // Macro parameters with optional defaults
};

} // namespace atelier::llm::jinja
