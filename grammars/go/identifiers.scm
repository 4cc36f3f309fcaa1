; Declarations in Go.
; Capture vocabulary: grammars/README.md. Earlier patterns win when two capture the same name.

(package_clause (package_identifier) @name) @definition.module

; Imports: Go has no relative imports in modules, so every import is a package. An aliased import
; is listed under its alias; a plain one under its path (it declares no identifier of its own).
(import_spec name: (package_identifier) @name) @import.package
(import_spec
  !name
  path: [
    (interpreted_string_literal (interpreted_string_literal_content) @name)
    (raw_string_literal (raw_string_literal_content) @name)
  ]) @import.package

; ---------------------------------------------------------------------------
; Types.

(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
(type_spec name: (type_identifier) @name) @definition.type
(type_alias name: (type_identifier) @name) @definition.type
(type_parameter_declaration name: (identifier) @name) @definition.type
(field_declaration name: (field_identifier) @name) @definition.field
(method_elem name: (field_identifier) @name) @definition.method

; ---------------------------------------------------------------------------
; Functions, methods, parameters (receivers, results and variadics included).

(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method
(parameter_declaration name: (identifier) @name) @definition.parameter
(variadic_parameter_declaration name: (identifier) @name) @definition.parameter

; ---------------------------------------------------------------------------
; Constants and variables (:= multi-assign, range, type switch and select bindings).

(const_spec name: (identifier) @name) @definition.constant
(var_spec name: (identifier) @name) @definition.variable
(short_var_declaration left: (expression_list (identifier) @name)) @definition.variable
(range_clause left: (expression_list (identifier) @name) ":=") @definition.variable
(receive_statement left: (expression_list (identifier) @name) ":=") @definition.variable
(type_switch_statement alias: (expression_list (identifier) @name)) @definition.variable
