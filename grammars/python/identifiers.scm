; Declarations in Python.
; Capture vocabulary: grammars/README.md. Earlier patterns win when two capture the same name.

; ---------------------------------------------------------------------------
; Imports. Relative imports (from . import x, from .utils import y) are the user's own code;
; absolute ones cannot be told apart from packages and count as packages.

(import_from_statement
  module_name: (relative_import)
  name: [
    (dotted_name . (identifier) @name)
    (aliased_import name: (dotted_name . (identifier) @name))
    (aliased_import alias: (identifier) @name)
  ]) @import.local
(import_from_statement
  module_name: (dotted_name)
  name: [
    (dotted_name . (identifier) @name)
    (aliased_import alias: (identifier) @name)
  ]) @import.package
(import_statement
  name: [
    (dotted_name . (identifier) @name)
    (aliased_import alias: (identifier) @name)
  ]) @import.package

; ---------------------------------------------------------------------------
; Classes. Enum subclasses are enums (their members constants), Protocols are interfaces.

(class_definition
  name: (identifier) @name
  superclasses: (argument_list [(identifier) (attribute)] @_base)
  (#match? @_base "(^|\\.)(Enum|IntEnum|StrEnum|Flag|IntFlag)$")) @definition.enum
(class_definition
  name: (identifier) @name
  superclasses: (argument_list [(identifier) (attribute)] @_base)
  (#match? @_base "(^|\\.)Protocol$")) @definition.interface
(class_definition name: (identifier) @name) @definition.class

(class_definition
  superclasses: (argument_list [(identifier) (attribute)] @_base)
  body: (block (expression_statement (assignment left: (identifier) @name)))
  (#match? @_base "(^|\\.)(Enum|IntEnum|StrEnum|Flag|IntFlag)$")) @definition.constant

; ---------------------------------------------------------------------------
; Functions and methods.

(class_definition
  body: (block
    [
      (function_definition name: (identifier) @name)
      (decorated_definition definition: (function_definition name: (identifier) @name))
    ] @definition.method))
(function_definition name: (identifier) @name) @definition.function

; ---------------------------------------------------------------------------
; Fields: class-level attributes (annotated or assigned) and self.x / cls.x assignments.

(class_definition
  body: (block (expression_statement (assignment left: (identifier) @name)))
  (#match? @name "^[A-Z][A-Z0-9_]*$")) @definition.constant
(class_definition
  body: (block (expression_statement (assignment left: (identifier) @name)))) @definition.field
(assignment
  left: [
    (attribute object: (identifier) @_self attribute: (identifier) @name)
    (pattern_list (attribute object: (identifier) @_self attribute: (identifier) @name))
    (tuple_pattern (attribute object: (identifier) @_self attribute: (identifier) @name))
  ]
  (#any-of? @_self "self" "cls")) @definition.field

; ---------------------------------------------------------------------------
; Parameters, including *args, **kwargs, defaults, annotations and lambdas.

; One pattern per shape: alternations under a frequent parent cost more than separate patterns.
(parameters (identifier) @name) @definition.parameter
(parameters (default_parameter name: (identifier) @name)) @definition.parameter
(parameters (typed_parameter (identifier) @name)) @definition.parameter
(parameters (typed_default_parameter name: (identifier) @name)) @definition.parameter
(parameters (list_splat_pattern (identifier) @name)) @definition.parameter
(parameters (dictionary_splat_pattern (identifier) @name)) @definition.parameter
(parameters (typed_parameter (list_splat_pattern (identifier) @name))) @definition.parameter
(parameters (typed_parameter (dictionary_splat_pattern (identifier) @name))) @definition.parameter
(lambda_parameters (identifier) @name) @definition.parameter
(lambda_parameters (default_parameter name: (identifier) @name)) @definition.parameter
(lambda_parameters (list_splat_pattern (identifier) @name)) @definition.parameter
(lambda_parameters (dictionary_splat_pattern (identifier) @name)) @definition.parameter

; ---------------------------------------------------------------------------
; Variables. Module-level SCREAMING_CASE names are constants.

(module
  (expression_statement
    (assignment left: (identifier) @name))
  (#match? @name "^[A-Z][A-Z0-9_]*$")) @definition.constant
(type_alias_statement left: (type (identifier) @name)) @definition.type
(assignment left: (identifier) @name right: (lambda)) @definition.function
(assignment left: (identifier) @name) @definition.variable
(assignment left: (pattern_list (identifier) @name)) @definition.variable
(assignment left: (pattern_list (list_splat_pattern (identifier) @name))) @definition.variable
(assignment left: (pattern_list (tuple_pattern (identifier) @name))) @definition.variable
(assignment left: (tuple_pattern (identifier) @name)) @definition.variable
(assignment left: (list_pattern (identifier) @name)) @definition.variable
(for_statement left: (identifier) @name) @definition.variable
(for_statement left: (pattern_list (identifier) @name)) @definition.variable
(for_statement left: (pattern_list (tuple_pattern (identifier) @name))) @definition.variable
(for_statement left: (tuple_pattern (identifier) @name)) @definition.variable
(for_in_clause left: (identifier) @name) @definition.variable
(for_in_clause left: (pattern_list (identifier) @name)) @definition.variable
(for_in_clause left: (tuple_pattern (identifier) @name)) @definition.variable
(with_item value: (as_pattern alias: (as_pattern_target (identifier) @name))) @definition.variable
(except_clause (as_pattern alias: (as_pattern_target (identifier) @name))) @definition.variable
(named_expression name: (identifier) @name) @definition.variable

; Capture patterns of `match` statements (a bare name in a case binds it).
[
  (case_pattern (dotted_name . (identifier) @name .))
  (keyword_pattern (dotted_name . (identifier) @name .))
  (splat_pattern (identifier) @name)
  (case_pattern (as_pattern (identifier) @name .))
] @definition.variable
