; SyGuS-IF v2 form of count.sl (no declare-primed-var; parameter names of its own)
(set-logic LIA)
(set-info :sygus-version 2.0)
(synth-inv inv-f ((x Int) (y Int)))
(define-fun limit () Int 100000)
(define-fun pre-f ((a Int) (b Int)) Bool
  (and (= a 1) (= b 0)))
(define-fun trans-f ((a Int) (b Int) (a1 Int) (b1 Int)) Bool
  (and (< b limit) (= a1 (+ a b)) (= b1 (+ b 1))))
(define-fun post-f ((a Int) (b Int)) Bool
  (=> (>= b limit) (>= a b)))
(inv-constraint inv-f pre-f trans-f post-f)
(check-synth)
