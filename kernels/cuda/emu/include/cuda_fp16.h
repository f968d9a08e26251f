#include "../kernel.h" // the .cu files include <cuda_fp16.h>; kernel.h has what they use
