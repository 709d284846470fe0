//! The tape: a record of one forward pass, replayed backwards.
//!
//! Each call such as [`Tape::conv1d`] runs the op's forward kernel at
//! once, stores the result as a new node and remembers which op made it
//! from which nodes ([`Op`]). [`Tape::backward`] walks the nodes from the
//! last to the first (the order they were made in is already a
//! topological order), calling each op's backward kernel from
//! [`crate::ops`] to accumulate gradients into the nodes it read.
//!
//! A tape borrows the parameters and is dropped after the step, so no
//! memory is carried from one step to the next. `backward` does not
//! consume the tape: several losses recorded on one tape can each be
//! differentiated on their own (what gradient-surgery methods need).

use ndarray::{ArrayD, ArrayViewD, IxDyn};
use rand::Rng;

use super::{Float, Grads, ParamId, Params};
use crate::ops::conv_transpose::{self as convt, ConvT2Shape};
use crate::ops::conv1d::{self, Conv1dShape};
use crate::ops::softmax_ce::{self as ce, Targets};
use crate::ops::{dense, elementwise as ew, pool};

/// A handle to one value recorded on a tape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Var(pub(crate) usize);

/// How a node was made, with what its backward needs.
enum Op<T> {
    Input,
    Param(ParamId),
    Conv1d {
        x: Var,
        w: Var,
        b: Var,
        shape: Conv1dShape,
    },
    ConvT2 {
        x: Var,
        w: Var,
        b: Var,
        shape: ConvT2Shape,
    },
    Upsample2 {
        x: Var,
    },
    MaxPool2 {
        x: Var,
    },
    GlobalAvgPool {
        x: Var,
    },
    Concat {
        a: Var,
        b: Var,
    },
    Relu {
        x: Var,
    },
    Add {
        a: Var,
        b: Var,
    },
    Scale {
        x: Var,
        c: T,
    },
    Dropout {
        mask: Vec<T>,
        x: Var,
    },
    Dense {
        x: Var,
        w: Var,
        b: Var,
    },
    SoftmaxCe {
        logits: Var,
        targets: Targets<T>,
        probs: Vec<T>,
        labelled: usize,
    },
    WeightedSum {
        x: Var,
        weights: Vec<T>,
    },
}

struct Node<T> {
    /// `None` for parameters, whose value stays in the store.
    value: Option<ArrayD<T>>,
    op: Op<T>,
    needs_grad: bool,
}

/// The record of one forward pass over borrowed parameters.
pub struct Tape<'p, T: Float> {
    params: &'p Params<T>,
    nodes: Vec<Node<T>>,
}

impl<'p, T: Float> Tape<'p, T> {
    /// An empty tape over `params`.
    pub fn new(params: &'p Params<T>) -> Self {
        Tape { params, nodes: Vec::new() }
    }

    /// The value of a node.
    pub fn value(&self, v: Var) -> ArrayViewD<'_, T> {
        match &self.nodes[v.0] {
            Node { value: Some(a), .. } => a.view(),
            Node { op: Op::Param(id), .. } => self.params.get(*id).view(),
            _ => unreachable!("a node without a value is a parameter"),
        }
    }

    fn slice(&self, v: Var) -> &[T] {
        match &self.nodes[v.0] {
            Node { value: Some(a), .. } => {
                a.as_slice().expect("standard layout")
            }
            Node { op: Op::Param(id), .. } => {
                self.params.get(*id).as_slice().expect("standard layout")
            }
            _ => unreachable!("a node without a value is a parameter"),
        }
    }

    fn shape(&self, v: Var) -> Vec<usize> {
        self.value(v).shape().to_vec()
    }

    /// The scalar value of a 0-dimensional node (a loss).
    pub fn scalar(&self, v: Var) -> T {
        let a = self.value(v);
        assert_eq!(a.ndim(), 0, "scalar: node has shape {:?}", a.shape());
        a[IxDyn(&[])]
    }

    /// The logits a [`Tape::softmax_ce`] loss node was computed from.
    ///
    /// # Panics
    ///
    /// If `loss` is not a softmax cross-entropy node.
    pub fn logits_of(&self, loss: Var) -> ArrayViewD<'_, T> {
        match &self.nodes[loss.0].op {
            Op::SoftmaxCe { logits, .. } => self.value(*logits),
            _ => panic!("logits_of: node {} is not a softmax_ce loss", loss.0),
        }
    }

    fn push(&mut self, value: ArrayD<T>, op: Op<T>, inputs: &[Var]) -> Var {
        let needs_grad = inputs.iter().any(|v| self.nodes[v.0].needs_grad);
        self.nodes.push(Node { value: Some(value), op, needs_grad });
        Var(self.nodes.len() - 1)
    }

    /// Records data that needs no gradient.
    pub fn input(&mut self, x: ArrayD<T>) -> Var {
        let x = x.as_standard_layout().into_owned();
        self.nodes.push(Node {
            value: Some(x),
            op: Op::Input,
            needs_grad: false,
        });
        Var(self.nodes.len() - 1)
    }

    /// Records data whose gradient [`Tape::backward`] should return.
    pub fn input_with_grad(&mut self, x: ArrayD<T>) -> Var {
        let v = self.input(x);
        self.nodes[v.0].needs_grad = true;
        v
    }

    /// Records a parameter of the borrowed store.
    pub fn param(&mut self, id: ParamId) -> Var {
        self.nodes.push(Node {
            value: None,
            op: Op::Param(id),
            needs_grad: true,
        });
        Var(self.nodes.len() - 1)
    }

    /// 'Same' convolution: `x (B, L, Ci)`, `w (K, Ci, Co)`, `b (Co)`.
    pub fn conv1d(&mut self, x: Var, w: Var, b: Var) -> Var {
        let (xs, ws) = (self.shape(x), self.shape(w));
        assert_eq!(xs.len(), 3, "conv1d: x must be (B, L, C), is {xs:?}");
        assert_eq!(ws.len(), 3, "conv1d: w must be (K, Ci, Co), is {ws:?}");
        assert_eq!(
            xs[2], ws[1],
            "conv1d: x has {} channels, w expects {}",
            xs[2], ws[1]
        );
        let shape = Conv1dShape {
            batch: xs[0],
            len: xs[1],
            c_in: xs[2],
            c_out: ws[2],
            kernel: ws[0],
        };
        let mut y = ArrayD::zeros(IxDyn(&[xs[0], xs[1], ws[2]]));
        let out = y.as_slice_mut().expect("fresh array");
        conv1d::conv1d_forward(
            &shape,
            self.slice(x),
            self.slice(w),
            self.slice(b),
            out,
        );
        self.push(y, Op::Conv1d { x, w, b, shape }, &[x, w, b])
    }

    /// Transposed convolution, kernel 2 stride 2: `w (2, Ci, Co)`.
    pub fn conv_transpose2(&mut self, x: Var, w: Var, b: Var) -> Var {
        let (xs, ws) = (self.shape(x), self.shape(w));
        assert_eq!(
            ws[0], 2,
            "conv_transpose2: w must be (2, Ci, Co), is {ws:?}"
        );
        assert_eq!(
            xs[2], ws[1],
            "conv_transpose2: channels {} vs {}",
            xs[2], ws[1]
        );
        let shape =
            ConvT2Shape { batch: xs[0], len: xs[1], c_in: xs[2], c_out: ws[2] };
        let mut y = ArrayD::zeros(IxDyn(&[xs[0], 2 * xs[1], ws[2]]));
        let out = y.as_slice_mut().expect("fresh array");
        convt::conv_transpose2_forward(
            &shape,
            self.slice(x),
            self.slice(w),
            self.slice(b),
            out,
        );
        self.push(y, Op::ConvT2 { x, w, b, shape }, &[x, w, b])
    }

    /// Nearest-neighbour upsampling by 2 along length.
    pub fn upsample2(&mut self, x: Var) -> Var {
        let xs = self.shape(x);
        let mut y = ArrayD::zeros(IxDyn(&[xs[0], 2 * xs[1], xs[2]]));
        pool::upsample2_forward(
            self.slice(x),
            xs[2],
            y.as_slice_mut().expect("fresh"),
        );
        self.push(y, Op::Upsample2 { x }, &[x])
    }

    /// Max pooling by 2 along length (an odd last sample is dropped).
    pub fn maxpool2(&mut self, x: Var) -> Var {
        let xs = self.shape(x);
        let mut y = ArrayD::zeros(IxDyn(&[xs[0], xs[1] / 2, xs[2]]));
        let out = y.as_slice_mut().expect("fresh");
        pool::maxpool2_forward(self.slice(x), xs[0], xs[1], xs[2], out);
        self.push(y, Op::MaxPool2 { x }, &[x])
    }

    /// Mean over length: `(B, L, C) -> (B, C)`.
    pub fn global_avg_pool(&mut self, x: Var) -> Var {
        let xs = self.shape(x);
        let mut y = ArrayD::zeros(IxDyn(&[xs[0], xs[2]]));
        let out = y.as_slice_mut().expect("fresh");
        pool::global_avg_pool_forward(self.slice(x), xs[0], xs[1], xs[2], out);
        self.push(y, Op::GlobalAvgPool { x }, &[x])
    }

    /// Concatenation along the last axis (channels).
    pub fn concat(&mut self, a: Var, b: Var) -> Var {
        let (sa, sb) = (self.shape(a), self.shape(b));
        let n = sa.len();
        assert_eq!(
            sa[..n - 1],
            sb[..n - 1],
            "concat: shapes {sa:?} and {sb:?}"
        );
        let mut shape = sa.clone();
        shape[n - 1] += sb[n - 1];
        let mut y = ArrayD::zeros(IxDyn(&shape));
        let out = y.as_slice_mut().expect("fresh");
        ew::concat_forward(
            self.slice(a),
            sa[n - 1],
            self.slice(b),
            sb[n - 1],
            out,
        );
        self.push(y, Op::Concat { a, b }, &[a, b])
    }

    /// `max(x, 0)`.
    pub fn relu(&mut self, x: Var) -> Var {
        let mut y = ArrayD::zeros(IxDyn(&self.shape(x)));
        ew::relu_forward(self.slice(x), y.as_slice_mut().expect("fresh"));
        self.push(y, Op::Relu { x }, &[x])
    }

    /// `a + b`, same shapes.
    pub fn add(&mut self, a: Var, b: Var) -> Var {
        assert_eq!(self.shape(a), self.shape(b), "add: shapes differ");
        let y = &self.value(a) + &self.value(b);
        self.push(y, Op::Add { a, b }, &[a, b])
    }

    /// `c * x` for a constant `c`.
    pub fn scale(&mut self, x: Var, c: T) -> Var {
        let y = self.value(x).mapv(|v| c * v);
        self.push(y, Op::Scale { x, c }, &[x])
    }

    /// Dropout with drop probability `p`, for training only (the model
    /// does not call it in evaluation).
    pub fn dropout(&mut self, x: Var, p: f64, rng: &mut impl Rng) -> Var {
        let mask = ew::dropout_mask(self.value(x).len(), p, rng);
        let mut y = ArrayD::zeros(IxDyn(&self.shape(x)));
        ew::mul_forward(self.slice(x), &mask, y.as_slice_mut().expect("fresh"));
        self.push(y, Op::Dropout { mask, x }, &[x])
    }

    /// Dense layer: `x (N, F)`, `w (F, G)`, `b (G)` -> `(N, G)`.
    pub fn dense(&mut self, x: Var, w: Var, b: Var) -> Var {
        let (xs, ws) = (self.shape(x), self.shape(w));
        assert_eq!(
            xs[1], ws[0],
            "dense: x has {} features, w expects {}",
            xs[1], ws[0]
        );
        let mut y = ArrayD::zeros(IxDyn(&[xs[0], ws[1]]));
        let out = y.as_slice_mut().expect("fresh");
        dense::dense_forward(
            self.slice(x),
            self.slice(w),
            self.slice(b),
            xs[0],
            out,
        );
        self.push(y, Op::Dense { x, w, b }, &[x, w, b])
    }

    /// Mean softmax cross-entropy of `logits (.., K)` over labelled rows;
    /// a scalar node.
    pub fn softmax_ce(&mut self, logits: Var, targets: Targets<T>) -> Var {
        let shape = self.shape(logits);
        let k = *shape.last().expect("softmax_ce: logits have no axes");
        let rows = shape.iter().product::<usize>() / k;
        match &targets {
            Targets::Classes(c) => {
                assert_eq!(c.len(), rows, "softmax_ce: targets")
            }
            Targets::Probs(p) => {
                assert_eq!(p.len(), rows * k, "softmax_ce: targets")
            }
        }
        let out = ce::softmax_ce_forward(self.slice(logits), k, &targets);
        let y = ArrayD::from_elem(IxDyn(&[]), out.loss);
        let op = Op::SoftmaxCe {
            logits,
            targets,
            probs: out.probs,
            labelled: out.labelled,
        };
        self.push(y, op, &[logits])
    }

    /// `sum(x * weights)`, a scalar: projects any node onto a fixed
    /// direction (gradient checks use it to test ops one by one).
    pub fn weighted_sum(&mut self, x: Var, weights: ArrayD<T>) -> Var {
        assert_eq!(self.shape(x), weights.shape(), "weighted_sum: shapes");
        let weights = weights
            .as_standard_layout()
            .into_owned()
            .into_raw_vec_and_offset()
            .0;
        let total: T =
            self.slice(x).iter().zip(&weights).map(|(&a, &b)| a * b).sum();
        let y = ArrayD::from_elem(IxDyn(&[]), total);
        self.push(y, Op::WeightedSum { x, weights }, &[x])
    }

    /// The gradient of the scalar `root` with respect to every parameter
    /// it depends on and every input made with `input_with_grad`.
    ///
    /// # Panics
    ///
    /// If `root` is not a scalar.
    pub fn backward(&self, root: Var) -> Grads<T> {
        assert_eq!(
            self.value(root).ndim(),
            0,
            "backward: root must be a scalar"
        );
        let mut grads: Vec<Option<Vec<T>>> =
            (0..self.nodes.len()).map(|_| None).collect();
        grads[root.0] = Some(vec![T::one()]);

        for i in (0..=root.0).rev() {
            let Some(dy) = grads[i].take() else { continue };
            if matches!(self.nodes[i].op, Op::Input | Op::Param(_)) {
                grads[i] = Some(dy);
                continue;
            }
            self.backward_node(i, &dy, &mut grads);
        }
        self.collect(grads)
    }

    /// Calls the backward kernels of node `i` with its gradient `dy`.
    fn backward_node(&self, i: usize, dy: &[T], grads: &mut [Option<Vec<T>>]) {
        let mut acc = |v: Var, f: &mut dyn FnMut(&mut [T])| {
            if self.nodes[v.0].needs_grad {
                let len = self.value(v).len();
                f(grads[v.0].get_or_insert_with(|| vec![T::zero(); len]))
            }
        };
        match &self.nodes[i].op {
            Op::Input | Op::Param(_) => {}
            Op::Conv1d { x, w, b, shape } => {
                let (xv, wv) = (self.slice(*x), self.slice(*w));
                acc(*x, &mut |dx| {
                    conv1d::conv1d_backward_input(shape, dy, wv, dx)
                });
                let mut db = vec![T::zero(); shape.c_out];
                acc(*w, &mut |dw| {
                    conv1d::conv1d_backward_weight(shape, xv, dy, dw, &mut db)
                });
                acc(*b, &mut |dbias| ew::axpy(T::one(), &db, dbias));
            }
            Op::ConvT2 { x, w, b, shape } => {
                let (xv, wv) = (self.slice(*x), self.slice(*w));
                acc(*x, &mut |dx| {
                    convt::conv_transpose2_backward_input(shape, dy, wv, dx)
                });
                let mut db = vec![T::zero(); shape.c_out];
                acc(*w, &mut |dw| {
                    convt::conv_transpose2_backward_weight(
                        shape, xv, dy, dw, &mut db,
                    )
                });
                acc(*b, &mut |dbias| ew::axpy(T::one(), &db, dbias));
            }
            Op::Upsample2 { x } => {
                let c = self.shape(*x)[2];
                acc(*x, &mut |dx| pool::upsample2_backward(dy, c, dx));
            }
            Op::MaxPool2 { x } => {
                let s = self.shape(*x);
                let xv = self.slice(*x);
                acc(*x, &mut |dx| {
                    pool::maxpool2_backward(xv, dy, s[0], s[1], s[2], dx)
                });
            }
            Op::GlobalAvgPool { x } => {
                let s = self.shape(*x);
                acc(*x, &mut |dx| {
                    pool::global_avg_pool_backward(dy, s[0], s[1], s[2], dx)
                });
            }
            Op::Concat { a, b } => {
                let ca = *self.shape(*a).last().expect("concat axis");
                let cb = *self.shape(*b).last().expect("concat axis");
                let rows = dy.len() / (ca + cb);
                let mut da = vec![T::zero(); rows * ca];
                let mut db = vec![T::zero(); rows * cb];
                ew::concat_backward(dy, &mut da, ca, &mut db, cb);
                acc(*a, &mut |g| ew::axpy(T::one(), &da, g));
                acc(*b, &mut |g| ew::axpy(T::one(), &db, g));
            }
            Op::Relu { x } => {
                let xv = self.slice(*x);
                acc(*x, &mut |dx| ew::relu_backward(xv, dy, dx));
            }
            Op::Add { a, b } => {
                acc(*a, &mut |da| ew::axpy(T::one(), dy, da));
                acc(*b, &mut |db| ew::axpy(T::one(), dy, db));
            }
            Op::Scale { x, c } => acc(*x, &mut |dx| ew::axpy(*c, dy, dx)),
            Op::Dropout { mask, x } => {
                acc(*x, &mut |dx| {
                    for ((dx, &d), &m) in dx.iter_mut().zip(dy).zip(mask) {
                        *dx += m * d;
                    }
                });
            }
            Op::Dense { x, w, b } => {
                let rows = self.shape(*x)[0];
                let (xv, wv) = (self.slice(*x), self.slice(*w));
                acc(*x, &mut |dx| {
                    dense::dense_backward_input(dy, wv, rows, dx)
                });
                let mut db = vec![T::zero(); self.value(*b).len()];
                acc(*w, &mut |dw| {
                    dense::dense_backward_weight(xv, dy, rows, dw, &mut db)
                });
                acc(*b, &mut |dbias| ew::axpy(T::one(), &db, dbias));
            }
            Op::WeightedSum { x, weights } => {
                acc(*x, &mut |dx| ew::axpy(dy[0], weights, dx))
            }
            Op::SoftmaxCe { logits, targets, probs, labelled } => {
                let k = *self.shape(*logits).last().expect("logits axis");
                acc(*logits, &mut |dz| {
                    ce::softmax_ce_backward(
                        probs, k, targets, *labelled, dy[0], dz,
                    )
                });
            }
        }
    }

    /// Moves the leaf gradients into a [`Grads`].
    fn collect(&self, mut grads: Vec<Option<Vec<T>>>) -> Grads<T> {
        let mut out =
            Grads { params: vec![None; self.params.len()], inputs: Vec::new() };
        for (i, node) in self.nodes.iter().enumerate() {
            let Some(g) = grads[i].take() else { continue };
            let shape = IxDyn(&self.shape(Var(i)));
            let g = ArrayD::from_shape_vec(shape, g)
                .expect("gradient has its node's size");
            match node.op {
                Op::Param(id) => match &mut out.params[id.0] {
                    Some(sum) => *sum += &g,
                    slot => *slot = Some(g),
                },
                Op::Input => out.inputs.push((i, g)),
                _ => {}
            }
        }
        out
    }
}
