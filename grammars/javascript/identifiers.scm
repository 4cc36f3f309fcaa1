; Declarations in JavaScript (and JSX, which this grammar parses).
; Capture vocabulary: grammars/README.md. Earlier patterns win when two capture the same name.

; ---------------------------------------------------------------------------
; Imports. A source starting with ".", "/", "#" (package.json imports), "@/" or "~/" (path
; aliases) is the user's own code; anything else is a package.

(import_statement
  (import_clause (identifier) @name)
  source: (string (string_fragment) @_src)
  (#match? @_src "^([.#/]|[@~]/)")) @import.local
(import_statement
  (import_clause (named_imports (import_specifier name: (identifier) @name)))
  source: (string (string_fragment) @_src)
  (#match? @_src "^([.#/]|[@~]/)")) @import.local
(import_statement
  (import_clause (named_imports (import_specifier alias: (identifier) @name)))
  source: (string (string_fragment) @_src)
  (#match? @_src "^([.#/]|[@~]/)")) @import.local
(import_statement
  (import_clause (namespace_import (identifier) @name))
  source: (string (string_fragment) @_src)
  (#match? @_src "^([.#/]|[@~]/)")) @import.local

(import_statement
  (import_clause (identifier) @name)
  source: (string (string_fragment) @_src)
  (#not-match? @_src "^([.#/]|[@~]/)")) @import.package
(import_statement
  (import_clause (named_imports (import_specifier name: (identifier) @name)))
  source: (string (string_fragment) @_src)
  (#not-match? @_src "^([.#/]|[@~]/)")) @import.package
(import_statement
  (import_clause (named_imports (import_specifier alias: (identifier) @name)))
  source: (string (string_fragment) @_src)
  (#not-match? @_src "^([.#/]|[@~]/)")) @import.package
(import_statement
  (import_clause (namespace_import (identifier) @name))
  source: (string (string_fragment) @_src)
  (#not-match? @_src "^([.#/]|[@~]/)")) @import.package

; const x = require("./x"); const { a, b: c } = require("pkg")
(variable_declarator
  name: [
    (identifier) @name
    (object_pattern (shorthand_property_identifier_pattern) @name)
    (object_pattern (pair_pattern value: (identifier) @name))
  ]
  value: (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string (string_fragment) @_src)))
  (#eq? @_require "require")
  (#match? @_src "^([.#/]|[@~]/)")) @import.local
(variable_declarator
  name: [
    (identifier) @name
    (object_pattern (shorthand_property_identifier_pattern) @name)
    (object_pattern (pair_pattern value: (identifier) @name))
  ]
  value: (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string (string_fragment) @_src)))
  (#eq? @_require "require")
  (#not-match? @_src "^([.#/]|[@~]/)")) @import.package

; ---------------------------------------------------------------------------
; Classes, functions and methods.

(class_declaration name: (identifier) @name) @definition.class
(class name: (identifier) @name) @definition.class

(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(function_expression name: (identifier) @name) @definition.function
(generator_function name: (identifier) @name) @definition.function
(variable_declarator
  name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.function
; exports.fooBar = function () {}; module.exports.fooBar = () => {}
(assignment_expression
  left: (member_expression
    object: [
      (identifier) @_exports
      (member_expression object: (identifier) @_module property: (property_identifier) @_exports)
    ]
    property: (property_identifier) @name)
  right: [(arrow_function) (function_expression)]
  (#eq? @_exports "exports")) @definition.function
; Widget.prototype.fooBar = function () {}
(assignment_expression
  left: (member_expression
    object: (member_expression property: (property_identifier) @_proto)
    property: (property_identifier) @name)
  right: [(arrow_function) (function_expression)]
  (#eq? @_proto "prototype")) @definition.method

(method_definition name: (property_identifier) @name) @definition.method
(field_definition
  property: (property_identifier) @name
  value: [(arrow_function) (function_expression)]) @definition.method

; ---------------------------------------------------------------------------
; Fields and properties.

(field_definition property: (property_identifier) @name) @definition.field
; this.fooBar = ... directly in a constructor declares a field.
(method_definition
  name: (property_identifier) @_ctor
  body: (statement_block
    (expression_statement
      (assignment_expression
        left: (member_expression object: (this) property: (property_identifier) @name))))
  (#eq? @_ctor "constructor")) @definition.field

; Keys of an object literal held by a variable: const routes = { listUsers: "/u", ... }.
; Keys of literals passed to calls (fetch(url, { method })) belong to someone else's API.
(variable_declarator
  value: (object
    (pair key: (property_identifier) @name value: [(arrow_function) (function_expression)]))) @definition.method
(variable_declarator
  value: [
    (object (pair key: (property_identifier) @name))
    (object (pair value: (object (pair key: (property_identifier) @name))))
  ]) @definition.property

; ---------------------------------------------------------------------------
; Parameters (including destructured, default and rest parameters).

; One pattern per shape: a single pattern with a 19-way alternation under formal_parameters
; made the whole query ~40% slower (tree-sitter splits its state on every alternative).
(formal_parameters (identifier) @name) @definition.parameter
(formal_parameters (assignment_pattern left: (identifier) @name)) @definition.parameter
(formal_parameters (rest_pattern (identifier) @name)) @definition.parameter
(formal_parameters (object_pattern (shorthand_property_identifier_pattern) @name)) @definition.parameter
(formal_parameters (object_pattern (object_assignment_pattern left: (shorthand_property_identifier_pattern) @name))) @definition.parameter
(formal_parameters (object_pattern (pair_pattern value: (identifier) @name))) @definition.parameter
(formal_parameters (object_pattern (pair_pattern value: (assignment_pattern left: (identifier) @name)))) @definition.parameter
(formal_parameters (object_pattern (rest_pattern (identifier) @name))) @definition.parameter
(formal_parameters (array_pattern (identifier) @name)) @definition.parameter
(formal_parameters (array_pattern (assignment_pattern left: (identifier) @name))) @definition.parameter
(formal_parameters (array_pattern (rest_pattern (identifier) @name))) @definition.parameter
; the same patterns with a default value: ({ a, b } = {}), ([x, y] = [])
(formal_parameters (assignment_pattern left: (object_pattern (shorthand_property_identifier_pattern) @name))) @definition.parameter
(formal_parameters (assignment_pattern left: (object_pattern (object_assignment_pattern left: (shorthand_property_identifier_pattern) @name)))) @definition.parameter
(formal_parameters (assignment_pattern left: (object_pattern (pair_pattern value: (identifier) @name)))) @definition.parameter
(formal_parameters (assignment_pattern left: (object_pattern (pair_pattern value: (assignment_pattern left: (identifier) @name))))) @definition.parameter
(formal_parameters (assignment_pattern left: (object_pattern (rest_pattern (identifier) @name)))) @definition.parameter
(formal_parameters (assignment_pattern left: (array_pattern (identifier) @name))) @definition.parameter
(formal_parameters (assignment_pattern left: (array_pattern (assignment_pattern left: (identifier) @name)))) @definition.parameter
(formal_parameters (assignment_pattern left: (array_pattern (rest_pattern (identifier) @name)))) @definition.parameter
(arrow_function parameter: (identifier) @name) @definition.parameter
(catch_clause parameter: (identifier) @name) @definition.parameter

; ---------------------------------------------------------------------------
; Variables and constants. SCREAMING_CASE `const` names are constants.

(lexical_declaration
  "const"
  (variable_declarator name: (identifier) @name)
  (#match? @name "^[A-Z][A-Z0-9_]*$")) @definition.constant
(variable_declarator name: (identifier) @name) @definition.variable
(for_in_statement kind: _ left: (identifier) @name) @definition.variable

; Destructuring anywhere else (const { a, b } = x; for (const [k, v] of m); nested patterns).
(object_pattern (shorthand_property_identifier_pattern) @name) @definition.variable
(object_pattern (object_assignment_pattern left: (shorthand_property_identifier_pattern) @name)) @definition.variable
(object_pattern (pair_pattern value: (identifier) @name)) @definition.variable
(object_pattern (pair_pattern value: (assignment_pattern left: (identifier) @name))) @definition.variable
(object_pattern (rest_pattern (identifier) @name)) @definition.variable
(array_pattern (identifier) @name) @definition.variable
(array_pattern (assignment_pattern left: (identifier) @name)) @definition.variable
(array_pattern (rest_pattern (identifier) @name)) @definition.variable

; ---------------------------------------------------------------------------
; Destructuring assignments ([a, b] = [b, a]; ({ x } = obj)) assign names declared elsewhere.

(assignment_expression
  left: (array_pattern
    [
      (identifier) @ignore
      (assignment_pattern left: (identifier) @ignore)
      (rest_pattern (identifier) @ignore)
    ]))
(assignment_expression
  left: (object_pattern
    [
      (shorthand_property_identifier_pattern) @ignore
      (object_assignment_pattern left: (shorthand_property_identifier_pattern) @ignore)
      (pair_pattern value: (identifier) @ignore)
      (pair_pattern value: (assignment_pattern left: (identifier) @ignore))
      (rest_pattern (identifier) @ignore)
    ]))
