package kernels

// Training ops: the distillation loss and its gradient, teacher top-k
// extraction, gradient norms, overflow checks and the AdamW update. They are
// an optional interface (like fused extras in ollama's ml.Backend): a
// backend that can train implements TrainOps, and training code asserts it
// once:
//
//	ops, ok := b.(kernels.TrainOps)
//
// Each method's doc gives the plain math it must equal; the conformance
// tests in kernels/kerneltest (RunTrain) check it against float64
// references and finite differences.

// Divergence selects the soft-label term of DistillLoss. p is the teacher
// distribution and q the student's, both at temperature T.
type Divergence uint8

const (
	// ForwardKL is KL(p || q) = sum_i p_i (log p_i - log q_i), Hinton's
	// distillation loss (mean-seeking: the student covers every teacher mode).
	ForwardKL Divergence = iota
	// ReverseKL is KL(q || p) = sum_i q_i (log q_i - log p_i) (mode-seeking).
	ReverseKL
	// JSD is the generalised Jensen-Shannon divergence of GKD (Agarwal et al.
	// 2024; TRL's generalized_jsd_loss): with m = Beta p + (1-Beta) q,
	// JSD = Beta KL(p || m) + (1-Beta) KL(q || m), Beta in (0, 1).
	JSD
)

// String names the divergence as recipes spell it.
func (d Divergence) String() string {
	switch d {
	case ForwardKL:
		return "forward_kl"
	case ReverseKL:
		return "reverse_kl"
	case JSD:
		return "jsd"
	}
	return "divergence(?)"
}

// LossParams configures DistillLoss.
//
// The loss of row n is
//
//	loss[n] = Alpha * T^2 * D(p_n, q_n) + (1 - Alpha) * CE(logits[n], targets[n])
//
// with q_n = softmax(logits[n] / T), p_n the teacher's distribution at the
// same temperature and CE the hard-label cross-entropy at temperature 1.
// The T^2 factor (Hinton et al. 2015) keeps the soft term's gradient
// magnitude independent of T, so Alpha means the same at every temperature.
type LossParams struct {
	Divergence  Divergence
	Temperature float32 // T > 0; 1 means none
	Alpha       float32 // weight of the soft term in [0, 1]; 0 is plain CE
	Beta        float32 // JSD mixture weight in (0, 1); unused otherwise
	// Scale multiplies the gradient written to dlogits (not the losses):
	// typically loss_scale / (number of unmasked rows in the step).
	Scale float32
}

// SoftLabels is the teacher's side of DistillLoss, one of two forms:
//
//   - full: Logits [N, V], the teacher's raw logits (divided by T inside);
//   - top-k: IDs (I32 [N, k], distinct ids per row) and LogProbs ([N, k],
//     any float type) = log softmax(teacher logits / T) at those ids, as
//     TopKLogProbs writes them with the same T.
//
// Top-k tail: the teacher mass missing from the top k,
// P_tail = max(0, 1 - sum_j exp(LogProbs[n, j])), is one extra bucket,
// matched against the student's mass outside those ids, Q_tail =
// sum_{i not in ids} q_i. D is then the divergence between the two coarsened
// distributions over k+1 buckets (a proper divergence: it is zero iff the
// student agrees with the teacher on the top-k probabilities and the tail
// mass). Its gradient spreads the tail bucket's gradient over the tail
// tokens in proportion to q_i. With k = V there is no tail bucket. An
// empty teacher tail (fp16 log-probs may sum past 1) would make ReverseKL
// infinite, so log P_tail is floored at MinTailLogProb.
type SoftLabels struct {
	Logits   Tensor
	IDs      Tensor
	LogProbs Tensor
}

// MinTailLogProb floors log P_tail of top-k soft labels (see SoftLabels).
const MinTailLogProb = -46 // about log(1e-20)

// AdamWParams configures one AdamW step (Loshchilov & Hutter, decoupled
// weight decay, as torch.optim.AdamW).
type AdamWParams struct {
	LR          float32
	Beta1       float32
	Beta2       float32
	Eps         float32
	WeightDecay float32
	Step        int     // 1 for the first update (bias correction)
	GradScale   float32 // the gradient is divided by it (loss scale / clip factor); 0 means 1
}

// HiddenKind selects the distance of HiddenLoss.
type HiddenKind uint8

const (
	// HiddenMSE is mean_c (s_c - t_c)^2.
	HiddenMSE HiddenKind = iota
	// HiddenCosine is 1 - s.t / (|s| |t|).
	HiddenCosine
)

// TrainOps are the fused operations of training. All compute is float32
// with float64 reductions over long rows, whatever the storage dtypes.
type TrainOps interface {
	// DistillLoss writes losses[n] (F32 [N]) as LossParams describes and, when
	// dlogits is not nil, dlogits[n, :] = Scale * d losses[n] / d logits[n, :]
	// (written, not accumulated; dlogits may be logits itself, as llm.c's
	// fused classifier does, so no second [N, V] buffer is needed). logits and
	// dlogits are [N, V]. targets has N entries: a negative target masks the
	// row (loss 0, gradient 0); targets may be nil only when Alpha is 1. When
	// Alpha is 0 teacher is ignored (may be the zero SoftLabels).
	//
	// With q = softmax(z/T), q1 = softmax(z), the gradient is
	//
	//	d/dz_i = Scale * (Alpha * T * (h_b(i) * q_i / q~_b(i) - q_i * sum_b h_b)
	//	                  + (1 - Alpha) * (q1_i - [i == target]))
	//
	// where the buckets b are the vocabulary entries (full soft labels) or
	// the top-k ids plus the tail, q~_b is the student mass of bucket b and
	// h_b = q~_b * dD/dq~_b: -p_b (ForwardKL), q_b (log q_b - log p_b + 1)
	// (ReverseKL), (1-Beta) q_b (log q_b - log m_b) (JSD).
	DistillLoss(losses, dlogits, logits Tensor, teacher SoftLabels, targets []int32, p LossParams)

	// TopKLogProbs writes, for each row n of logits [N, V], the k largest
	// entries' ids (ids I32 [N, k]) in descending order of value (ties: the
	// smaller id first) and their log-probabilities at temperature T,
	// logprobs[n, j] = logits[n, id]/T - logsumexp(logits[n, :]/T)
	// (logprobs [N, k], any float type). 1 <= k <= V.
	TopKLogProbs(ids, logprobs, logits Tensor, k int, temperature float32)

	// HiddenLoss writes losses[n] (F32 [N]) = distance(student[n, :],
	// teacher[n, :]) for student, teacher [N, C] (a teacher of another width
	// is projected first, by a MatMul with a learned [C_s, C_t] weight), and
	// when dstudent is not nil accumulates dstudent[n, :] += scale *
	// d losses[n] / d student[n, :]:
	//
	//	MSE:    2 (s - t) / C
	//	cosine: -(t / (|s| |t|) - cos(s, t) s / |s|^2)
	//
	// A row whose |s| or |t| is 0 has cosine loss 1 and gradient 0.
	HiddenLoss(losses, dstudent, student, teacher Tensor, kind HiddenKind, scale float32)

	// SumSquares returns sum_i t_i^2 in float64 (for global gradient norms).
	SumSquares(t Tensor) float64

	// NonFinite reports whether t holds a NaN or an infinity (fp16 loss
	// scaling skips such steps).
	NonFinite(t Tensor) bool

	// AdamW updates param (F32 master weights) given grad (any float type)
	// and the moment estimates m, v (F32, same shape), elementwise:
	//
	//	g = grad / GradScale
	//	m = Beta1 m + (1 - Beta1) g
	//	v = Beta2 v + (1 - Beta2) g^2
	//	mhat = m / (1 - Beta1^Step); vhat = v / (1 - Beta2^Step)
	//	param -= LR * (mhat / (sqrt(vhat) + Eps) + WeightDecay * param)
	AdamW(param, grad, m, v Tensor, p AdamWParams)
}
