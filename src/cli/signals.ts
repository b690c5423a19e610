/**
 * The signals `keystash exec` passes on to its child (and on which `exec --file` removes its files
 * first): every signal a process can catch and Node lets JavaScript handle, minus those whose
 * default keystash must keep or that are not about the child:
 * - SIGTSTP, SIGTTIN, SIGTTOU (job control): keystash stops with its job like any shell job, so
 *   Ctrl-Z / `fg` work; the kernel already delivers them to the whole foreground group.
 * - SIGCONT: a shell's `fg`/`bg` sends it to the whole process group, the child included.
 * - SIGCHLD, SIGPIPE (Node ignores SIGPIPE and handles EPIPE itself), SIGURG (ignored by default).
 * - SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS: faults of keystash itself; Node's
 *   documentation warns that listening on them can make a process loop.
 * - SIGKILL, SIGSTOP: cannot be caught.
 * Listening on SIGUSR1 also keeps Node from starting its inspector on 127.0.0.1:9229 (its default
 * action for SIGUSR1), which must never happen in a process holding plaintext.
 */
import { constants } from 'node:os';

const CANDIDATES: readonly string[] = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGWINCH',
  'SIGVTALRM', 'SIGPROF', 'SIGXCPU', 'SIGXFSZ', 'SIGPWR', 'SIGIO', 'SIGSTKFLT', 'SIGINFO',
];

/** The forwarded signals this platform has. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = CANDIDATES.filter((s) => s in constants.signals && s !== 'SIGPOLL') as NodeJS.Signals[];

/**
 * The signals a terminal sends to its whole foreground process group (Ctrl-C, Ctrl-\, a resize).
 * When keystash is in that group, so is its child (it is spawned in keystash's group), and the
 * kernel has already delivered the signal to the child: forwarding it would deliver it twice.
 */
export const TERMINAL_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT', 'SIGWINCH']);
