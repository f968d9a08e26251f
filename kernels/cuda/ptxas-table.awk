# ptxas-table.awk: turn `ptxas -v` reports (stderr) into ptx/ptxas.txt rows:
#   kernel arch registers static-smem-bytes stack-bytes spill-store-bytes spill-load-bytes
# The emulator and the backend's launch checks read the first four columns.
/Compiling entry function/ { name = $7; arch = $9; gsub(/'/, "", name); gsub(/'/, "", arch); smem = 0 }
/bytes stack frame/ { stack = $1; spst = $5; spld = $9 }
/Used [0-9]+ registers/ {
  regs = $5
  for (i = 1; i <= NF; i++) if ($(i) ~ /^smem/) smem = $(i - 2)
  printf "%s %s %d %d %d %d %d\n", name, arch, regs, smem, stack, spst, spld
}
