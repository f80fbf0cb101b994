using System.CodeDom.Compiler;
using Mono.TextTemplating;

// Usage: TextTransform <template.tt> <output file>
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: TextTransform <template.tt> <output file>");
    return 2;
}

var generator = new TemplateGenerator();
var succeeded = await generator.ProcessTemplateAsync(args[0], args[1]);
foreach (CompilerError error in generator.Errors)
{
    Console.Error.WriteLine(error.ToString());
}

return succeeded && !generator.Errors.HasErrors ? 0 : 1;
