package transfer

import (
	"errors"
	"syscall"
)

func isDiskFull(err error) bool {
	const errorHandleDiskFull, errorDiskFull = syscall.Errno(39), syscall.Errno(112)
	return errors.Is(err, errorDiskFull) || errors.Is(err, errorHandleDiskFull)
}
