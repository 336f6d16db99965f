/* dlopens the library named in argv[1] and calls func_in_lib(14). */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  void *lib = dlopen(argv[1], RTLD_NOW);
  if (lib == NULL) {
    printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  int (*fn)(int) = (int (*)(int))dlsym(lib, "func_in_lib");
  printf("func_in_lib %d\n", fn != NULL ? fn(14) : -1);
  fflush(stdout);
  return 0;
}
