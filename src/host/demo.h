/*
 * `realmbox demo`: boot the machine and drive one realm's whole life
 * through RMI, printing each step.
 */
#ifndef HOST_DEMO_H
#define HOST_DEMO_H

/* Run the demo; prints to stdout, errors to stderr. Returns the exit status. */
int realmbox_demo(int argc, char **argv);

#endif /* HOST_DEMO_H */
