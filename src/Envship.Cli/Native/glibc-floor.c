/*
 * Pins the C library symbols the NativeAOT runtime imports to versions that glibc 2.17 already had,
 * so the published envship starts on every host its payload runs on (RHEL 7/8, Debian 11, Ubuntu 20.04).
 *
 * Linking on a current glibc binds each import to the newest version: __libc_start_main, the pthread_*
 * and dl* functions to GLIBC_2.34 (when libpthread and libdl moved into libc), log/pow/log2 to 2.29.
 * The linker is told to send every reference to NAME to __wrap_NAME (-Wl,--wrap=NAME, see
 * GlibcFloor.targets); each __wrap_NAME below jumps to the old version of NAME, which current
 * glibc still exports for old binaries. On an old host those versions live in libpthread.so.0,
 * libdl.so.2 and librt.so.1, so the targets file also records them as needed libraries.
 *
 * A symbol added to the list in GlibcFloor.targets needs a FORWARD line here, and the reverse.
 * tests/Envship.Cli.Tests/GlibcFloorTests reads the binary's versions and fails above 2.17.
 */

#if defined(__x86_64__)
#define OLDEST "GLIBC_2.2.5"
#define TAIL_CALL(target) "jmp " target "@PLT"
#elif defined(__aarch64__)
#define OLDEST "GLIBC_2.17"
#define TAIL_CALL(target) "b " target
#else
#error "glibc-floor.c knows x86-64 and aarch64 only"
#endif

/* __wrap_NAME: a tail call to NAME@VERSION; arguments and return value pass through untouched. */
#define FORWARD_TO(name, version)                                  \
    __asm__(".symver envship_floor_" #name ", " #name "@" version "\n" \
            ".text\n"                                              \
            ".globl __wrap_" #name "\n"                            \
            ".type __wrap_" #name ", %function\n"                  \
            "__wrap_" #name ":\n"                                  \
            "\t" TAIL_CALL("envship_floor_" #name) "\n"            \
            ".size __wrap_" #name ", .-__wrap_" #name "\n");
#define FORWARD(name) FORWARD_TO(name, OLDEST)

/* libpthread before 2.34 */
FORWARD(pthread_attr_getstack)
FORWARD(pthread_attr_setstacksize)
FORWARD(pthread_create)
FORWARD(pthread_getattr_np)
FORWARD(pthread_key_create)
FORWARD(pthread_kill)
FORWARD(pthread_mutexattr_destroy)
FORWARD(pthread_mutexattr_init)
FORWARD(pthread_mutexattr_settype)
FORWARD(pthread_once)
FORWARD(pthread_rwlock_rdlock)
FORWARD(pthread_rwlock_unlock)
FORWARD(pthread_rwlock_wrlock)
FORWARD(pthread_setspecific)
FORWARD(pthread_sigmask)
#if defined(__x86_64__)
/* Both came after x86-64's first glibc (2.2.5); aarch64 started at 2.17 with everything. */
FORWARD_TO(pthread_condattr_setclock, "GLIBC_2.3.3")
FORWARD_TO(pthread_setname_np, "GLIBC_2.12")
#else
FORWARD(pthread_condattr_setclock)
FORWARD(pthread_setname_np)
#endif

/* libdl before 2.34 */
FORWARD(dladdr)
FORWARD(dlclose)
FORWARD(dlerror)
FORWARD(dlopen)
FORWARD(dlsym)

/* librt before 2.34 */
FORWARD(shm_open)
FORWARD(shm_unlink)

/* libm: 2.29 added versions without the SVID error handling; the results are the same. */
FORWARD(log)
FORWARD(log2)
FORWARD(pow)

/*
 * __libc_start_main. Start files from glibc 2.34 on pass no init function: the new __libc_start_main
 * runs the executable's constructors itself. The old one expects the start files to pass
 * __libc_csu_init, and without it the runtime's constructors would never run on an old host.
 * So pass a function that does what __libc_csu_init did: _init, then .init_array.
 * (The executable's .preinit_array is run by the dynamic loader in every glibc version.)
 */
typedef int (*main_function)(int, char **, char **);
typedef void (*init_function)(int, char **, char **);

extern int envship_floor___libc_start_main(main_function, int, char **, init_function, void (*)(void),
                                           void (*)(void), void *);
__asm__(".symver envship_floor___libc_start_main, __libc_start_main@" OLDEST);

extern void _init(void);
extern init_function __init_array_start[] __attribute__((visibility("hidden")));
extern init_function __init_array_end[] __attribute__((visibility("hidden")));

static void run_executable_constructors(int argc, char **argv, char **envp)
{
    _init();
    for (init_function *constructor = __init_array_start; constructor < __init_array_end; constructor++)
        (*constructor)(argc, argv, envp);
}

int __wrap___libc_start_main(main_function main, int argc, char **argv, init_function init, void (*fini)(void),
                             void (*rtld_fini)(void), void *stack_end)
{
    return envship_floor___libc_start_main(main, argc, argv, init != 0 ? init : run_executable_constructors, fini,
                                           rtld_fini, stack_end);
}
