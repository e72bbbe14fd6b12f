module gannet.bench/goserver

go 1.19
