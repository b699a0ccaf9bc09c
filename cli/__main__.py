from dpzoo.cli.app import main

main()
