// Package quant shrinks a model's weights: it chooses a storage type per
// tensor (a Plan), encodes the weights (round to nearest, or GPTQ with
// calibration activations), measures what that cost (Report), and exports
// the result as GGUF or HF safetensors with a round-trip check.
//
// # Methods
//
// Every method is weight-only: activations stay float32 and MatMul decodes
// the block types of package kernels/qblock on the fly, so a quantized model
// runs directly from its encoded bytes.
//
//	int8        I8CH: per output channel (row) r, s_r = max|W_r|/127,
//	            q = round(W/s_r), W ≈ s_r q.
//	int4-gG     I4S_GG (symmetric): per group of G consecutive inputs of a
//	            row, s = f16(m/-8) with m the element of largest magnitude,
//	            q = clamp(rne(w/s)+8, 0, 15), w ≈ (q-8)s.
//	int4a-gG    I4A_GG (asymmetric): w ≈ q s + min, q in 0..15.
//	q8_0 q4_0 q4_1 q5_0 q5_1 q3_k q4_k q5_k q6_k
//	            the GGML blocks, bit-exact with llama.cpp's reference
//	            encoders; with llama.cpp's per-tensor rules (output.weight,
//	            or a tied token_embd, becomes Q6_K) as llama-quantize applies
//	            them for the matching LLAMA_FTYPE_MOSTLY_* file type.
//	q2_k q3_k_m q4_k_s q4_k_m q5_k_s q5_k_m
//	            llama.cpp's mixes (llama_tensor_get_type_impl) on a base of
//	            Q2_K, Q3_K, Q4_K or Q5_K: attn_v, ffn_down and attn_output
//	            get more bits in the layers each mix picks (Q4_K_M/Q5_K_M:
//	            Q6_K where use_more_bits, i < n/8 or i >= 7n/8 or
//	            (i-n/8) mod 3 == 2; Q4_K_S: Q5_K in the first layers; Q3_K_M:
//	            Q5_K/Q4_K; Q2_K: Q3_K, or Q4_K for attn_v with GQA >= 4), the
//	            classifier in Q6_K. A fused attn_qkv (GPT-2) follows the
//	            attn_v rule, as llama.cpp's does. Every plan of these mixes
//	            and the bytes written are checked against llama.cpp's own
//	            llama_model_quantize (llamacpp_test.go).
//	gptq-int4[-gG][-act]
//	            GPTQ into the I4S_GG layout (G = 128 unless given);
//	            checkpoint.WriteHF stores it in the GPTQ safetensors
//	            layout transformers and vLLM load.
//	gptq-TYPE[-act]
//	            GPTQ onto llama.cpp's grids for any GGML method whose types
//	            have a fixed-scale grid (q8_0 q4_0 q4_1 q5_0 q5_1 q4_k q5_k
//	            q6_k and the mixes q4_k_s q4_k_m q5_k_s q5_k_m; not q2_k,
//	            q3_k, q3_k_m): the same plan and bytes as TYPE, an ordinary
//	            GGUF llama.cpp loads.
//
// Rows whose length is not a multiple of a type's block fall back as
// llama.cpp's tensor_type_fallback does: Q2_K and Q3_K to Q4_0, Q4_K to
// Q5_0, Q5_K to Q5_1, Q6_K to Q8_0, and to F16 when the row is not a
// multiple of 32 either; a classifier whose rows fit no block of the base
// type is Q8_0. (For a 32-element type whose rows do not fit, llama.cpp
// refuses the file; distill writes F16.) distill's int4 group formats fall
// back to I8CH (any row length). stories260K, with rows of 64 and 172,
// exercises both.
//
// Tensors that stay in higher precision are chosen by patterns
// (path.Match on canonical names): by default the embeddings, the
// classifier and every 1-D tensor (norms, biases) for the distill methods;
// the GGML methods follow llama.cpp (1-D tensors and position_embd stay F32,
// everything else is quantized). PlanOptions.Keep and Overrides change that.
//
// # GPTQ
//
// For a linear layer y = W x with W [N, K] and calibration inputs X [M, K]
// (captured at the layer's input by a kernels.Backend wrapper while the
// unchanged model runs on calibration windows, true-sequentially: layer by
// layer and, within a layer, q/k/v, then attn_output, then gate/up, then
// down, with everything before already quantized), GPTQ
// minimises ||W X^T - Q X^T||^2 column by column (Frantar et al. 2022):
//
//	H = 2 X^T X / M + λ I,  λ = percdamp · mean(diag H)
//	U = chol(H^-1) (upper), processed in blocks of B = 128 columns:
//	  for column j: q_j = quant(w_j),  e_j = (w_j - q_j) / U_jj,
//	                w_{j+1..} -= e_j U_{j, j+1..}   (within the block)
//	  after the block: W_{:, rest} -= E U_{block, rest}  (lazy update)
//
// quant(w_j) is the nearest level of w_j on its block's grid
// (qblock.Grid): the block's scales (for the k-quants the super-block's d,
// dmin and 6-bit sub-block scales and mins) are what the type's own encoder
// chooses for the block's weights when the column loop enters the block,
// as updated so far, weighted by the importance matrix if one is given and
// else by diag H (llama.cpp's _impl encoders); with act-order, which visits
// columns by decreasing diag H, they are chosen up front from the original
// weights so blocks keep the stored layout. Every column is then rounded on
// that fixed grid and its error fed forward, so the result is ordinary
// blocks of the type. Columns never seen (diag H = 0) are zeroed. With
// H = I the procedure reduces exactly to round to nearest on the encoder's
// grids, which the tests check byte for byte.
//
// # Quality-budget planner
//
// PlanBudget chooses a type per matrix so that KL(unquantized ||
// quantized) per token on calibration text stays within a target (or the
// perplexity increase within a percentage) at the fewest bytes: each
// matrix's sensitivity is measured with only it quantized (one type
// measured, the others predicted from the importance-weighted squared
// error, which tracks measured KL closely), the choice is a knapsack over
// the summed predictions solved exactly, and the chosen mix is measured
// and the budget tightened until it meets the target (budget.go).
//
// # Importance matrix
//
// An Imatrix (llama.cpp's imatrix: per matrix, the mean squared activation
// of each input column over calibration text) comes from CollectImatrix
// (the GPTQ capture, diagonal only) or ReadImatrix (llama-imatrix's legacy
// .dat or GGUF file), is checked against the model (Imatrix.Check), and
// makes round to nearest use llama.cpp's importance-weighted encoders
// (quantize_row_*_impl: Q4_0, Q4_1, Q5_0, Q5_1 and the k-quants), as
// llama-quantize --imatrix does; Q8_0 and float types ignore it.
//
// # Reporting
//
// Report evaluates every method's model against the unquantized one on the
// same token stream with eval.Compare: perplexity, its change, KL(P||Q) per
// token and top-1 agreement, beside the weight bytes and bits per weight
// (8 · bytes / parameters, scales included).
package quant
