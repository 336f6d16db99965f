# Warnings are errors everywhere in remora; remora_warnings is linked by every target.
add_library(remora_warnings INTERFACE)
target_compile_options(remora_warnings INTERFACE -Wall -Wextra -Wpedantic -Werror)
