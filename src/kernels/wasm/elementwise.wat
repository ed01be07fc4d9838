;; Float32 elementwise kernels in WebAssembly SIMD (compiled by tools/wasm/build.mjs), twins of the JavaScript
;; kernels of src/kernels/elementwise.ts for float32 operands (see src/kernels/wasm/elementwise.ts).
;;
;; Each takes operands of $n elements at byte addresses $x and $y that step $xstep and $ystep bytes a vector:
;; 16 for an array, 0 for a scalar the caller stored as four copies. Results go to $out, four at a time; the
;; caller's areas are padded to whole vectors, whose extra lanes compute values nobody reads. Every f32x4
;; operation rounds to float32, as the JavaScript kernels' float32 stores (and Math.fround) do.
(module
  (memory (export "memory") 1)

  ;; out = x + y
  (func (export "add") (param $x i32) (param $xstep i32) (param $y i32) (param $ystep i32) (param $out i32) (param $n i32) (param $s f32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (loop $vectors
      (v128.store (local.get $out) (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $y))))
      (local.set $x (i32.add (local.get $x) (local.get $xstep)))
      (local.set $y (i32.add (local.get $y) (local.get $ystep)))
      (br_if $vectors (i32.lt_u (local.tee $out (i32.add (local.get $out) (i32.const 16))) (local.get $end)))))

  ;; out = x - y
  (func (export "sub") (param $x i32) (param $xstep i32) (param $y i32) (param $ystep i32) (param $out i32) (param $n i32) (param $s f32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (loop $vectors
      (v128.store (local.get $out) (f32x4.sub (v128.load (local.get $x)) (v128.load (local.get $y))))
      (local.set $x (i32.add (local.get $x) (local.get $xstep)))
      (local.set $y (i32.add (local.get $y) (local.get $ystep)))
      (br_if $vectors (i32.lt_u (local.tee $out (i32.add (local.get $out) (i32.const 16))) (local.get $end)))))

  ;; out = x * y
  (func (export "mul") (param $x i32) (param $xstep i32) (param $y i32) (param $ystep i32) (param $out i32) (param $n i32) (param $s f32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (loop $vectors
      (v128.store (local.get $out) (f32x4.mul (v128.load (local.get $x)) (v128.load (local.get $y))))
      (local.set $x (i32.add (local.get $x) (local.get $xstep)))
      (local.set $y (i32.add (local.get $y) (local.get $ystep)))
      (br_if $vectors (i32.lt_u (local.tee $out (i32.add (local.get $out) (i32.const 16))) (local.get $end)))))

  ;; out = x / y
  (func (export "div") (param $x i32) (param $xstep i32) (param $y i32) (param $ystep i32) (param $out i32) (param $n i32) (param $s f32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (loop $vectors
      (v128.store (local.get $out) (f32x4.div (v128.load (local.get $x)) (v128.load (local.get $y))))
      (local.set $x (i32.add (local.get $x) (local.get $xstep)))
      (local.set $y (i32.add (local.get $y) (local.get $ystep)))
      (br_if $vectors (i32.lt_u (local.tee $out (i32.add (local.get $out) (i32.const 16))) (local.get $end)))))

  ;; out = (x - y) * s: mse_loss's gradient before its grad factor
  (func (export "scaled_difference") (param $x i32) (param $xstep i32) (param $y i32) (param $ystep i32) (param $out i32) (param $n i32) (param $s f32)
    (local $end i32) (local $scale v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $scale (f32x4.splat (local.get $s)))
    (loop $vectors
      (v128.store (local.get $out) (f32x4.mul (f32x4.sub (v128.load (local.get $x)) (v128.load (local.get $y))) (local.get $scale)))
      (local.set $x (i32.add (local.get $x) (local.get $xstep)))
      (local.set $y (i32.add (local.get $y) (local.get $ystep)))
      (br_if $vectors (i32.lt_u (local.tee $out (i32.add (local.get $out) (i32.const 16))) (local.get $end)))))

  ;; out = y + x * s: nn.Linear(1, 1)'s rows, each input times the weight plus the bias
  (func (export "product_plus_bias") (param $x i32) (param $xstep i32) (param $y i32) (param $ystep i32) (param $out i32) (param $n i32) (param $s f32)
    (local $end i32) (local $scale v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $scale (f32x4.splat (local.get $s)))
    (loop $vectors
      (v128.store (local.get $out) (f32x4.add (v128.load (local.get $y)) (f32x4.mul (v128.load (local.get $x)) (local.get $scale))))
      (local.set $x (i32.add (local.get $x) (local.get $xstep)))
      (local.set $y (i32.add (local.get $y) (local.get $ystep)))
      (br_if $vectors (i32.lt_u (local.tee $out (i32.add (local.get $out) (i32.const 16))) (local.get $end))))))
