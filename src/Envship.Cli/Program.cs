using Envship.Cli;

return EnvshipApp.Run(args, Console.Out, Console.Error);
