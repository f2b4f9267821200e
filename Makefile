# The two set-up commands of the README.
.PHONY: run test
run:   ## create .venv and run the default case
	bash scripts/run-default.sh
test:  ## create .venv and run the tests (serial and mpirun -n 2)
	bash scripts/test.sh
