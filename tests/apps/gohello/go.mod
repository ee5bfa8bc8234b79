module realmbox.test/gohello

go 1.19
