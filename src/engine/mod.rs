//! The autodiff engine: a tape over `ndarray` arrays, the parameter
//! store it borrows, and the float trait both are generic over.

mod float;
mod params;
mod tape;

pub use float::{Float, Mat, gemm};
pub use params::{Grads, ParamId, Params};
pub use tape::{Tape, Var};
