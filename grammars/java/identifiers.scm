; Declarations in Java.
; Capture vocabulary: grammars/README.md. Earlier patterns win when two capture the same name.

; The last segment of `package com.acme.billing;` names the user's module.
(package_declaration (scoped_identifier name: (identifier) @name)) @definition.module
(package_declaration (identifier) @name) @definition.module

; Imports cannot be told apart from packages (com.acme.* may be the user's or a vendor's), so
; all are packages. The imported name is the last segment.
(import_declaration (scoped_identifier name: (identifier) @name)) @import.package
(import_declaration (identifier) @name) @import.package

; ---------------------------------------------------------------------------
; Types.

(class_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(annotation_type_declaration name: (identifier) @name) @definition.type
(annotation_type_element_declaration name: (identifier) @name) @definition.method
(enum_declaration name: (identifier) @name) @definition.enum
(enum_constant name: (identifier) @name) @definition.constant
(type_parameter (type_identifier) @name) @definition.type

; ---------------------------------------------------------------------------
; Methods and fields. `static final` fields and interface constants are constants; record
; components are fields.

(method_declaration name: (identifier) @name) @definition.method
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.constant
(field_declaration
  (modifiers "static" "final")
  declarator: (variable_declarator name: (identifier) @name)) @definition.constant
(field_declaration
  (modifiers "final" "static")
  declarator: (variable_declarator name: (identifier) @name)) @definition.constant
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.field
(record_declaration
  parameters: (formal_parameters (formal_parameter name: (identifier) @name))) @definition.field

; ---------------------------------------------------------------------------
; Parameters (formal, varargs, catch, lambda) and local variables.

(formal_parameter name: (identifier) @name) @definition.parameter
(spread_parameter (variable_declarator name: (identifier) @name)) @definition.parameter
(catch_formal_parameter name: (identifier) @name) @definition.parameter
(inferred_parameters (identifier) @name) @definition.parameter
(lambda_expression parameters: (identifier) @name) @definition.parameter

(local_variable_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.variable
(enhanced_for_statement name: (identifier) @name) @definition.variable
(resource name: (identifier) @name) @definition.variable
(instanceof_expression name: (identifier) @name) @definition.variable
(type_pattern (identifier) @name) @definition.variable
