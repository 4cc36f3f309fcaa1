; inherits: typescript
; TSX has the same declaration nodes as TypeScript (JSX adds no declarations),
; so everything comes from grammars/typescript/identifiers.scm.
