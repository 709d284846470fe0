# Trains the shared PyTorch reference U-Net on dk18-small (left -> right),
# joint loss alpha 0.5, Adam 1e-3, batch 32, dataset z-score; prints held-out
# layer and area accuracy per epoch, to compare with lamina's.
import os, sys, numpy as np, torch, torch.nn.functional as F
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../shared/reference"))
from torch_unet import UNet1D
torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
d = os.path.join(os.path.dirname(__file__), "../../shared/data/bigbrain/dk18-small/")
X = np.load(d + "X.npy")[:, :, 0].astype(np.float64); S = np.load(d + "Y_seg.npy").astype(np.int64)
C = np.load(d + "Y_cls.npy").astype(np.int64); H = np.load(d + "hemi.npy")
tr, te = H == 0, H == 1
mu, sd = X[tr].mean(), X[tr].std()
Xn = ((X - mu) / sd).astype(np.float32)
xt, st, ct = torch.tensor(Xn[tr])[:, None], torch.tensor(S[tr]), torch.tensor(C[tr])
xv, sv, cv = torch.tensor(Xn[te])[:, None], torch.tensor(S[te]), torch.tensor(C[te])
torch.manual_seed(0); m = UNet1D(); opt = torch.optim.Adam(m.parameters(), lr=1e-3)
g = torch.Generator().manual_seed(0)
for ep in range(int(sys.argv[2]) if len(sys.argv) > 2 else 5):
    m.train(); perm = torch.randperm(len(xt), generator=g)
    for i in range(0, len(xt), 32):
        idx = perm[i:i+32]; seg, cls = m(xt[idx])
        loss = 0.5 * F.cross_entropy(seg, st[idx]) + 0.5 * F.cross_entropy(cls, ct[idx])
        opt.zero_grad(); loss.backward(); opt.step()
    m.eval()
    with torch.no_grad():
        accs, acc_c = [], []
        for i in range(0, len(xv), 256):
            seg, cls = m(xv[i:i+256])
            accs.append((seg.argmax(1) == sv[i:i+256]).float().sum().item())
            acc_c.append((cls.argmax(1) == cv[i:i+256]).float().sum().item())
    print(f"torch epoch {ep+1}: test layer acc {sum(accs)/sv.numel():.3f}, area acc {sum(acc_c)/len(cv):.3f}", flush=True)
