// gohello: a Go program (standard library only) for realmbox's application
// tests (tests/py/test_apps.py). Cross-compiled by the Makefile
// (GOARCH=arm64 CGO_ENABLED=0, static) into the apps bundle as /apps/gohello.
//
//	gohello            goroutines, channels, sync.WaitGroup, a mutex,
//	                   time.Sleep and timers; prints a deterministic summary
//	gohello pipeline   only the goroutines/channels/WaitGroup/mutex part (no
//	                   timers: the runtime's netpoller, epoll, is not started)
//	gohello http       a net/http server on 127.0.0.1 (an ephemeral port)
//	                   fetched by the same process with net/http's client;
//	                   prints the status and the body
//
// Exit status 0 on success, 1 (with a message on stderr) on any error.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"time"
)

const workers = 8
const jobsPerWorker = 500

// pipeline: a producer, workers squaring numbers, a collector.
func pipeline() {
	jobs := make(chan int, 64)
	results := make(chan int, 64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	perWorker := make(map[int]int)

	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for n := range jobs {
				results <- n * n
				mu.Lock()
				perWorker[id]++
				mu.Unlock()
				if n%97 == 0 {
					runtime.Gosched()
				}
			}
		}(w)
	}
	go func() {
		for i := 1; i <= workers*jobsPerWorker; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	var sum, count int
	for r := range results {
		sum += r
		count++
	}
	done := 0
	for _, c := range perWorker {
		done += c
	}
	fmt.Printf("pipeline: %d results, sum of squares %d, %d jobs counted under the mutex\n",
		count, sum, done)
}

// work runs the pipeline, then goroutines that sleep and wait on timers.
func work() error {
	pipeline()

	// Timers: time.Sleep in goroutines; each checks it slept long enough.
	var short int
	var omu sync.Mutex
	var twg sync.WaitGroup
	for _, ms := range []int{40, 10, 30, 20} {
		twg.Add(1)
		go func(ms int) {
			defer twg.Done()
			t0 := time.Now()
			time.Sleep(time.Duration(ms) * time.Millisecond)
			if time.Since(t0) < time.Duration(ms)*time.Millisecond {
				omu.Lock()
				short++
				omu.Unlock()
			}
		}(ms)
	}
	twg.Wait()
	fmt.Printf("sleepers: 4 woke, %d too early\n", short)

	t0 := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	for i := 0; i < 3; i++ {
		<-tick.C
	}
	tick.Stop()
	timer := time.NewTimer(15 * time.Millisecond)
	<-timer.C
	if el := time.Since(t0); el < 30*time.Millisecond {
		return fmt.Errorf("3 ticks of 5ms and a 15ms timer took %v, less than 30ms", el)
	}
	fmt.Println("ticker: 3 ticks; timer: fired")

	select {
	case <-time.After(10 * time.Millisecond):
		fmt.Println("time.After: fired")
	case <-make(chan int):
	}
	return nil
}

// httpSelf serves one handler on 127.0.0.1 and fetches it with the client.
func httpSelf() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "hello from net/http in a container: %s %s\n", r.Method, r.URL.Path)
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()

	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + ln.Addr().String() + "/hello")
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	fmt.Printf("status: %s\n", resp.Status)
	fmt.Printf("body: %s", body)
	return nil
}

func main() {
	var err error
	switch {
	case len(os.Args) == 1:
		err = work()
	case len(os.Args) == 2 && os.Args[1] == "pipeline":
		pipeline()
	case len(os.Args) == 2 && os.Args[1] == "http":
		err = httpSelf()
	default:
		fmt.Fprintln(os.Stderr, "usage: gohello [pipeline|http]")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gohello:", err)
		os.Exit(1)
	}
}
