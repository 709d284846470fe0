//! The composed network: a small U-Net's gradients of both losses, the
//! f32 path against the f64 one, and the default model's size.

use super::*;

// ---------------------------------------------------------------------
// The composed network
// ---------------------------------------------------------------------

/// A two-level U-Net with every part, small enough to differentiate
/// numerically with respect to each of its ~400 parameters.
fn small_config(length: usize, upsample: Upsample) -> UNetConfig {
    UNetConfig {
        length,
        in_channels: 1,
        n_layers: 3,
        n_areas: 4,
        filters: vec![2, 3],
        bottleneck: 4,
        kernel: 3,
        cls_hidden: 3,
        upsample,
        dropout: 0.0,
    }
}

/// Inputs and targets for a batch of three: layer labels with about one
/// position in six unlabelled, and the second sample without an area.
struct Batch {
    x: ArrayD<f64>,
    seg: Vec<i32>,
    cls: Vec<i32>,
}

fn batch(config: &UNetConfig, batch: usize, seed: u64) -> Batch {
    let rng = &mut ChaCha8Rng::seed_from_u64(seed);
    let shape = [batch, config.length, config.in_channels];
    let x = uniform(rng, &shape, -2.0, 2.0);
    let seg = classes(rng, batch * config.length, config.n_layers, 1.0 / 6.0);
    let mut cls = classes(rng, batch, config.n_areas, 0.0);
    if batch > 1 {
        cls[1] = -1;
    }
    Batch { x, seg, cls }
}

/// Redraws every bias in `[0.05, 0.5)`. With two or three channels a
/// level, the default initialisation leaves whole levels dead (all
/// ReLUs off) for some seeds, and a dead level has gradient zero, which
/// checks nothing. Positive biases keep most units on.
fn lift_biases(params: &mut Params<f64>, seed: u64) {
    let rng = &mut ChaCha8Rng::seed_from_u64(seed);
    for id in params.ids() {
        if params.name(id).ends_with(".b") {
            params.get_mut(id).mapv_inplace(|_| rng.random_range(0.05..0.5));
        }
    }
}

/// Which loss a network check differentiates.
#[derive(Clone, Copy, Debug)]
enum Loss {
    Seg,
    Cls,
    /// `seg + 0.5 * cls`, both heads on one tape.
    Joint,
}

fn record_loss(
    net: &UNet,
    tape: &mut Tape<'_, f64>,
    x: Var,
    data: &Batch,
    loss: Loss,
) -> Var {
    let enc = net.encode(tape, x, None);
    let seg = |tape: &mut Tape<'_, f64>| {
        let logits = net.segment(tape, &enc);
        tape.softmax_ce(logits, Targets::Classes(data.seg.clone()))
    };
    let cls = |tape: &mut Tape<'_, f64>| {
        let logits = net.classify(tape, &enc);
        tape.softmax_ce(logits, Targets::Classes(data.cls.clone()))
    };
    match loss {
        Loss::Seg => seg(tape),
        Loss::Cls => cls(tape),
        Loss::Joint => {
            let (s, c) = (seg(tape), cls(tape));
            let c = tape.scale(c, 0.5);
            tape.add(s, c)
        }
    }
}

/// Every parameter and the input, for both losses and their sum, on a
/// few seeds of both upsampling kinds. Kinks detected by the h / 10
/// estimate are skipped, and must stay rare.
#[test]
fn unet_gradients_match_finite_differences() {
    let cases = [
        (8, Upsample::Transposed, 0),
        (16, Upsample::Transposed, 1),
        (8, Upsample::Nearest, 2),
        (16, Upsample::Nearest, 3),
    ];
    let (mut worst, mut checked, mut kinks) = (0.0f64, 0, 0);
    for (length, upsample, seed) in cases {
        let config = small_config(length, upsample);
        let (net, mut params) =
            UNet::init::<f64>(config.clone(), seed).unwrap();
        lift_biases(&mut params, seed);
        let data = batch(&config, 3, 100 + seed);

        for loss in [Loss::Seg, Loss::Cls, Loss::Joint] {
            let label =
                format!("unet L={length} {upsample:?} seed {seed} {loss:?}");
            let build = |tape: &mut Tape<'_, f64>, xs: &[Var]| {
                record_loss(&net, tape, xs[0], &data, loss)
            };
            let x = std::slice::from_ref(&data.x);
            let out = check_gradients(&label, x, &params, true, build);
            assert!(out.kinks * 100 <= out.checked, "{label}: {out:?}");
            if let Loss::Joint = loss {
                // Most of the network must be alive to be checked at all.
                assert!(out.nonzero * 5 >= out.checked * 4, "{label}: {out:?}");
            }
            worst = worst.max(out.max_err);
            checked += out.checked;
            kinks += out.kinks;
        }
    }
    eprintln!("unet: max rel err {worst:.1e} over {checked}, {kinks} on kinks");
}

/// The checker itself: a ReLU input 3e-6 from its kink, inside the step,
/// fails the plain check and is skipped by the guarded one, while its
/// neighbours are still compared.
#[test]
fn kink_guard_skips_only_elements_within_a_step() {
    let x = ArrayD::from_shape_vec(IxDyn(&[1, 3, 1]), vec![0.5, 3e-6, -0.5]);
    let x = x.unwrap();
    let weights = ArrayD::from_elem(IxDyn(&[1, 3, 1]), 1.0);
    let build = |tape: &mut Tape<'_, f64>, xs: &[Var]| {
        let y = tape.relu(xs[0]);
        tape.weighted_sum(y, weights.clone())
    };

    let inputs = std::slice::from_ref(&x);
    let out =
        check_gradients("relu at a kink", inputs, &no_params(), true, build);
    assert_eq!((out.checked, out.kinks, out.nonzero), (2, 1, 1));
    let plain = std::panic::catch_unwind(|| {
        check_gradients("relu at a kink", &[x], &no_params(), false, build)
    });
    assert!(plain.is_err(), "the plain check must fail at the kink");
}

// ---------------------------------------------------------------------
// f32 against f64
// ---------------------------------------------------------------------

/// The seg and cls losses of one batch and their gradients (every
/// parameter in id order, then the input), as `f64`.
fn losses_and_grads<T: Float>(
    net: &UNet,
    params: &Params<T>,
    data: &Batch,
) -> Vec<(f64, Vec<ArrayD<f64>>)> {
    let mut tape = Tape::new(params);
    let x = tape.input_with_grad(data.x.mapv(T::of));
    let enc = net.encode(&mut tape, x, None);
    let seg = net.segment(&mut tape, &enc);
    let seg = tape.softmax_ce(seg, Targets::Classes(data.seg.clone()));
    let cls = net.classify(&mut tape, &enc);
    let cls = tape.softmax_ce(cls, Targets::Classes(data.cls.clone()));

    // Two backward passes over the one tape.
    [seg, cls]
        .into_iter()
        .map(|loss| {
            let grads = tape.backward(loss);
            let mut all: Vec<ArrayD<f64>> = params
                .ids()
                .map(|id| match grads.param(id) {
                    Some(g) => g.mapv(|v| v.f64()),
                    None => ArrayD::zeros(params.get(id).dim()),
                })
                .collect();
            all.push(grads.input(x).unwrap().mapv(|v| v.f64()));
            (tape.scalar(loss).f64(), all)
        })
        .collect()
}

/// Runs `config` in `f32` and in `f64` on the same values (rounded to
/// `f32` first, so both types hold them exactly) and returns the largest
/// relative difference of the losses and of the gradients. `lift` gives
/// the small network positive biases, as in the finite-difference check.
///
/// Tolerances: losses within 1e-5 relative, each gradient within 1e-3
/// of its largest magnitude. `f32` keeps 24 bits (6e-8 relative); a
/// convolution of the default model sums up to `K * C` = 768 products,
/// each layer adds its own rounding, and ~20 layers forward and back
/// compound it. A gradient also passes ReLU and max decisions that a
/// value within rounding of the kink may take differently in each type.
/// Measured: losses agree to ~1e-7 and gradients to ~2e-6 of their
/// scale, margins of about 100 and 400, while a conversion slip or a
/// kernel that differs between the types is off by far more.
fn compare_precisions(
    config: UNetConfig,
    n: usize,
    seed: u64,
    lift: bool,
) -> (f64, f64) {
    let (net, mut params) = UNet::init::<f64>(config.clone(), seed).unwrap();
    if lift {
        lift_biases(&mut params, seed);
    }
    let p32: Params<f32> = params.cast();
    let p64: Params<f64> = p32.cast();
    let mut data = batch(&config, n, seed);
    data.x.mapv_inplace(|v| v as f32 as f64);

    let single = losses_and_grads(&net, &p32, &data);
    let double = losses_and_grads(&net, &p64, &data);
    let (mut loss_err, mut grad_err) = (0.0f64, 0.0f64);
    for ((l32, g32), (l64, g64)) in single.iter().zip(&double) {
        let err = (l32 - l64).abs() / l64.abs();
        assert!(err <= 1e-5, "losses {l32} (f32) and {l64} (f64)");
        loss_err = loss_err.max(err);

        for (i, (a, b)) in g32.iter().zip(g64).enumerate() {
            let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let diff = (a - b).iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let what = match params_name(&p64, i) {
                Some(name) => name,
                None => "input".to_string(),
            };
            assert!(
                diff <= 1e-3 * scale,
                "{what}: f32 and f64 gradients differ by {diff:e} of {scale:e}"
            );
            if scale > 0.0 {
                grad_err = grad_err.max(diff / scale);
            }
        }
    }
    (loss_err, grad_err)
}

fn params_name(params: &Params<f64>, i: usize) -> Option<String> {
    (i < params.len()).then(|| params.name(ParamId(i)).to_string())
}

#[test]
fn f32_matches_f64_on_small_network() {
    for (upsample, seed) in [(Upsample::Transposed, 0), (Upsample::Nearest, 1)]
    {
        let (loss, grad) =
            compare_precisions(small_config(16, upsample), 3, seed, true);
        eprintln!(
            "small {upsample:?}: loss rel {loss:.1e}, grad rel {grad:.1e}"
        );
    }
}

#[test]
fn f32_matches_f64_on_default_network() {
    let (loss, grad) = compare_precisions(UNetConfig::default(), 2, 7, false);
    eprintln!("default: loss rel {loss:.1e}, grad rel {grad:.1e}");
}

#[test]
fn default_model_has_694_808_parameters() {
    let (_, params) = UNet::init::<f32>(UNetConfig::default(), 0).unwrap();
    assert_eq!(params.num_scalars(), 694_808);
}
