/* Four threads: main and three workers that park on a barrier until main reaches all_started(). */
#include <pthread.h>
#include <stdio.h>

static pthread_barrier_t started, release;
volatile int worker_sum;

void all_started(void) { worker_sum += 0; }

static void *worker(void *arg) {
  int id = (int)(long)arg;
  pthread_barrier_wait(&started);
  pthread_barrier_wait(&release);
  __atomic_fetch_add(&worker_sum, id, __ATOMIC_SEQ_CST);
  return NULL;
}

int main(void) {
  pthread_t t[3];
  pthread_barrier_init(&started, NULL, 4);
  pthread_barrier_init(&release, NULL, 4);
  for (long i = 0; i < 3; i++) pthread_create(&t[i], NULL, worker, (void *)(i + 1));
  pthread_barrier_wait(&started);
  all_started();
  pthread_barrier_wait(&release);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  printf("worker_sum %d\n", worker_sum);
  return 0;
}
