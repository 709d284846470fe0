//! One optimisation step of each mode: a fresh tape, the forward pass
//! the mode needs, its loss, the backward pass, and the optimiser
//! update. The tape is dropped before the parameters change.
//!
//! The forward pass of each task is recorded by [`task_losses`], so a
//! future gradient method (PCGrad, MGDA) can call `backward` once per
//! task loss on the same tape and combine the two trunk gradients.

use rand_chacha::ChaCha8Rng;

use super::{Adam, Batch, Mode, Order};
use crate::engine::{Grads, Params, Tape, Var};
use crate::model::UNet;

/// The loss nodes of the tasks that were run.
pub struct TaskLosses {
    pub seg: Option<Var>,
    pub cls: Option<Var>,
}

/// Records the forward pass for the tasks asked for; the decoder runs
/// only for segmentation, the classification head only for areas.
pub fn task_losses(
    net: &UNet,
    tape: &mut Tape<'_, f32>,
    batch: &Batch,
    seg: bool,
    cls: bool,
    rng: Option<&mut ChaCha8Rng>,
) -> TaskLosses {
    let x = tape.input(batch.x.clone());
    let enc = net.encode(tape, x, rng);
    let seg = seg.then(|| {
        let logits = net.segment(tape, &enc);
        tape.softmax_ce(logits, batch.seg.clone())
    });
    let cls = cls.then(|| {
        let logits = net.classify(tape, &enc);
        tape.softmax_ce(logits, batch.cls.clone())
    });
    TaskLosses { seg, cls }
}

/// The training losses of one step, as measured on its batch.
#[derive(Clone, Copy, Debug, Default)]
pub struct StepLosses {
    pub seg: Option<f32>,
    pub cls: Option<f32>,
}

/// Which task a single-task step trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Task {
    Seg,
    Cls,
}

/// Runs a forward and backward pass for one loss of the mode.
fn gradients(
    net: &UNet,
    params: &Params<f32>,
    batch: &Batch,
    mode: Mode,
    rng: &mut ChaCha8Rng,
) -> (Grads<f32>, StepLosses) {
    let mut tape = Tape::new(params);
    let losses = task_losses(
        net,
        &mut tape,
        batch,
        mode.trains_seg(),
        mode.trains_cls(),
        Some(rng),
    );
    let value = |v: Option<Var>| v.map(|v| tape.scalar(v));
    let measured =
        StepLosses { seg: value(losses.seg), cls: value(losses.cls) };

    let root = match (mode, losses.seg, losses.cls) {
        (Mode::Joint { alpha }, Some(s), Some(c)) => {
            let s = tape.scale(s, alpha);
            let c = tape.scale(c, 1.0 - alpha);
            tape.add(s, c)
        }
        (Mode::Sum, Some(s), Some(c)) => tape.add(s, c),
        (_, Some(s), None) => s,
        (_, None, Some(c)) => c,
        _ => unreachable!("mode {mode} records the losses it combines"),
    };
    (tape.backward(root), measured)
}

/// One step of `task` alone, updating with `opt`.
fn single(
    net: &UNet,
    params: &mut Params<f32>,
    opt: &mut Adam,
    batch: &Batch,
    task: Task,
    rng: &mut ChaCha8Rng,
) -> StepLosses {
    let mode = if task == Task::Seg { Mode::Seg } else { Mode::Cls };
    let (grads, losses) = gradients(net, params, batch, mode, rng);
    opt.update(params, &grads);
    losses
}

/// Trains on one batch according to `mode`. `index` is the batch's
/// position in the epoch (the alternating ratio counts it).
///
/// `opts` holds one optimiser, or for the alternating mode two:
/// segmentation first, classification second.
pub fn train_batch(
    net: &UNet,
    params: &mut Params<f32>,
    opts: &mut [Adam],
    mode: Mode,
    batch: &Batch,
    index: usize,
    rng: &mut ChaCha8Rng,
) -> StepLosses {
    match mode {
        Mode::Alternating { ratio, order } => {
            let [seg_opt, cls_opt] = opts else {
                panic!(
                    "alternating mode needs two optimisers, got {}",
                    opts.len()
                )
            };
            let cls_now = (index + 1).is_multiple_of(ratio as usize);
            let mut out = StepLosses::default();
            let tasks = match order {
                Order::SegFirst => [Task::Seg, Task::Cls],
                Order::ClsFirst => [Task::Cls, Task::Seg],
            };
            for task in tasks {
                match task {
                    Task::Seg => {
                        out.seg =
                            single(net, params, seg_opt, batch, task, rng).seg
                    }
                    Task::Cls if cls_now => {
                        out.cls =
                            single(net, params, cls_opt, batch, task, rng).cls
                    }
                    Task::Cls => {}
                }
            }
            out
        }
        _ => {
            let [opt] = opts else {
                panic!("mode {mode} needs one optimiser, got {}", opts.len())
            };
            let (grads, losses) = gradients(net, params, batch, mode, rng);
            opt.update(params, &grads);
            losses
        }
    }
}
